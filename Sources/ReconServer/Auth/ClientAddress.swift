import Hummingbird
import NIOCore

extension AddressPolicy {
    /// The request's real client: the peer, or behind a trusted proxy the nearest untrusted hop of
    /// `X-Forwarded-For` (every such header, in order, as one list); "unknown" without a peer.
    func clientAddress(_ request: Request, _ context: some RemoteAddressRequestContext) -> String {
        let forwarded = request.headers.filter { $0.name.canonicalName == "x-forwarded-for" }.map(\.value)
        return clientAddress(
            peer: context.remoteAddress?.ipAddress,
            forwardedFor: forwarded.isEmpty ? nil : forwarded.joined(separator: ","))
            ?? "unknown"
    }
}
