import Foundation
import Logging
import ReconHTTP
import Synchronization

/// Posts callbacks to merchant URLs after their delays, once each, never retrying (as Daraja does).
final class CallbackPoster: Sendable {
    private let client = HTTPClient()
    private let pending = Mutex(0)
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func schedule(_ deliveries: [Delivery], state: SimulatorState) {
        for delivery in deliveries {
            pending.withLock { $0 += 1 }
            // Daraja posts on its own time; `pending` counts these deliveries and `waitForIdle()` waits for them (the
            // simulator is not shipped).
            Task {
                defer { pending.withLock { $0 -= 1 } }
                if delivery.delayMs > 0 { try? await Task.sleep(for: .milliseconds(delivery.delayMs)) }
                var request = HTTPRequest.postJSON(
                    delivery.url, body: delivery.body,
                    headers: [HTTPHeader(name: "Businessshortcode", value: state.configuration.shortcode)])
                request.totalTimeout = .seconds(10)
                do {
                    _ = try await client.send(request)
                    if let id = delivery.checkoutRequestID { await state.recordDelivery(checkoutRequestID: id) }
                    if let receipt = delivery.c2bReceipt { await state.recordC2BDelivery(receipt: receipt) }
                } catch {
                    // Daraja does not retry a failed delivery either.
                    logger.debug("callback delivery failed", metadata: ["sim.error": "\(error)"])
                }
            }
        }
    }

    /// Posts `body` now and returns the answer (C2B validation waits for it), or `nil` without one within `timeout`.
    func exchange(url: String, body: [UInt8], shortcode: String, timeout: Duration) async -> HTTPResponse? {
        var request = HTTPRequest.postJSON(
            url, body: body, headers: [HTTPHeader(name: "Businessshortcode", value: shortcode)])
        request.totalTimeout = timeout
        return try? await client.send(request)
    }

    /// Returns once no callback is scheduled or in flight.
    func waitForIdle() async {
        while pending.withLock({ $0 }) > 0 {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
