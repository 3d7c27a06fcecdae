import NIOCore
import Synchronization

/// How many connections the server holds at once: from one client address, and in all.
///
/// Without a cap, one address that opens hundreds of idle connections holds a socket and a task for each until
/// the idle timeout, and the next client (Daraja's callback among them) waits or is refused by the kernel.
public struct ConnectionLimits: Sendable, Equatable {
    /// Connections open at once from one address (64).
    public var perAddress: Int
    /// Connections open at once in all (1 024).
    public var total: Int

    /// Limits with the documented defaults.
    public init(perAddress: Int = 64, total: Int = 1_024) {
        self.perAddress = max(1, perAddress)
        self.total = max(1, total)
    }
}

/// Counts open connections per address and in all; shared by every connection of one server.
public final class ConnectionLimiter: Sendable {
    /// The limits it enforces.
    public let limits: ConnectionLimits
    /// Addresses counted only against the total (trusted proxies, which carry every client's connection).
    private let exempt: @Sendable (String) -> Bool
    private let state = Mutex<(total: Int, byAddress: [String: Int])>((0, [:]))

    /// A limiter; `exempt` names addresses not held to the per-address cap.
    public init(limits: ConnectionLimits, exempt: @escaping @Sendable (String) -> Bool = { _ in false }) {
        self.limits = limits
        self.exempt = exempt
    }

    /// Takes a place for a new connection from `address`; `false` when a cap is reached (nothing is taken).
    public func acquire(_ address: String) -> Bool {
        let exempted = exempt(address)
        return state.withLock { state in
            guard state.total < limits.total else { return false }
            let current = state.byAddress[address, default: 0]
            guard exempted || current < limits.perAddress else { return false }
            state.total += 1
            state.byAddress[address] = current + 1
            return true
        }
    }

    /// Gives back the place of a connection from `address` that closed.
    public func release(_ address: String) {
        state.withLock { state in
            state.total = max(0, state.total - 1)
            let left = state.byAddress[address, default: 1] - 1
            state.byAddress[address] = left > 0 ? left : nil
        }
    }

    /// Connections counted now (for tests and metrics).
    public var open: Int { state.withLock { $0.total } }
}

/// Closes a new connection at once when its address or the server is at its cap; otherwise holds its place
/// until the connection closes.
final class ConnectionLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let limiter: ConnectionLimiter
    private var held: String?

    init(limiter: ConnectionLimiter) {
        self.limiter = limiter
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        if limiter.acquire(address) {
            held = address
        } else {
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if let held { limiter.release(held) }
        held = nil
    }
}
