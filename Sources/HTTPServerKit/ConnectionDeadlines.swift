public import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// How long a connection may stay silent, take to send a request's head, or take to send its body.
///
/// Without these a client that opens connections and sends nothing (or half a header line, or a
/// `Content-Length` it never delivers) holds a socket and a task forever.
public struct ConnectionTimeouts: Sendable, Equatable {
    /// An open keep-alive connection with no request in flight is closed after this (60 s).
    public var idle: Duration
    /// A request's head must be complete this long after its first byte arrived (10 s).
    public var header: Duration
    /// A request's body must be complete this long after its head (30 s).
    public var body: Duration

    /// Timeouts with the documented defaults.
    public init(idle: Duration = .seconds(60), header: Duration = .seconds(10), body: Duration = .seconds(30)) {
        self.idle = idle
        self.header = header
        self.body = body
    }
}

extension HTTPServerBuilder {
    /// An HTTP/1.1 server that closes idle connections and connections whose request head or body stalls, and
    /// (with a limiter) refuses connections past the per-address and total caps.
    public static func http1(timeouts: ConnectionTimeouts, limiter: ConnectionLimiter? = nil) -> HTTPServerBuilder {
        .http1(
            configuration: .init(
                additionalChannelHandlers: {
                    let deadlines = RequestDeadlineHandler(header: timeouts.header, body: timeouts.body)
                    guard let limiter else { return [deadlines] }
                    return [ConnectionLimitHandler(limiter: limiter), deadlines]
                }(),
                idleTimeout: TimeAmount(timeouts.idle)))
    }
}

/// Closes the connection when a request's head or body does not arrive within its deadline.
///
/// It sits after the HTTP decoder, where it sees request heads and ends; the head deadline starts at the
/// request's first raw byte, which a small watcher placed before the decoder reports. Keep-alive silence
/// between requests is the idle timeout's business, not this handler's.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Phase {
        /// Between requests: no byte of the next one yet.
        case waiting
        /// Bytes arrived, the head is not complete.
        case readingHead
        /// The head arrived, the body is not complete.
        case readingBody
        /// The request is read; the response is being produced.
        case responding
    }

    private let headerTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private var phase = Phase.waiting
    private var deadline: Scheduled<Void>?
    /// The response to the current request ended before its request did (an early refusal such as 401 or 413).
    private var respondedEarly = false

    init(header: Duration, body: Duration) {
        self.headerTimeout = TimeAmount(header)
        self.bodyTimeout = TimeAmount(body)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let watcher = FirstByteWatcher { [weak self] in self?.bytesArrived(context) }
        // Before the HTTP decoder, so the head deadline starts with the first byte, not with a parsed head.
        try? context.pipeline.syncOperations.addHandler(watcher, position: .first)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelDeadline()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelDeadline()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            phase = .readingBody
            respondedEarly = false
            schedule(context, in: bodyTimeout)
        case .body:
            break
        case .end:
            cancelDeadline()
            // Answered already: the next request's head is awaited (and timed) from its first byte.
            phase = respondedEarly ? .waiting : .responding
            respondedEarly = false
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // A response sent before its request's body was read (a refusal) keeps the body deadline running; the
        // request's own end then goes straight back to waiting for the next head.
        if case .end = unwrapOutboundIn(data) {
            if phase == .responding {
                phase = .waiting
            } else if phase == .readingBody || phase == .readingHead {
                respondedEarly = true
            }
        }
        context.write(data, promise: promise)
    }

    private func bytesArrived(_ context: ChannelHandlerContext) {
        guard phase == .waiting else { return }
        phase = .readingHead
        schedule(context, in: headerTimeout)
    }

    private func schedule(_ context: ChannelHandlerContext, in delay: TimeAmount) {
        cancelDeadline()
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
            guard let self, self.phase == .readingHead || self.phase == .readingBody else { return }
            self.deadline = nil
            context.close(promise: nil)
        }
    }

    private func cancelDeadline() {
        deadline?.cancel()
        deadline = nil
    }
}

/// Reports that raw bytes arrived, then passes them on untouched.
final class FirstByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let onBytes: () -> Void

    init(onBytes: @escaping () -> Void) {
        self.onBytes = onBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if unwrapInboundIn(data).readableBytes > 0 { onBytes() }
        context.fireChannelRead(data)
    }
}
