import Foundation
public import ReconCore
import ReconIdentity

/// An IPv4 network such as `196.201.214.0/24`.
public struct IPv4Network: Sendable, Equatable, CustomStringConvertible {
    /// The network address.
    public let address: UInt32
    /// Prefix length, 0…32.
    public let prefix: Int

    /// Parses `a.b.c.d` or `a.b.c.d/n`.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let host = parts.first, let address = IPv4Network.parseAddress(host) else { return nil }
        var prefix = 32
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...32).contains(value) else { return nil }
            prefix = value
        }
        self.prefix = prefix
        self.address = address & IPv4Network.mask(prefix)
    }

    static func mask(_ prefix: Int) -> UInt32 {
        prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix)
    }

    static func parseAddress(_ text: some StringProtocol) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard let byte = UInt8(octet) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    /// Whether an address (dotted text; IPv4-mapped IPv6 `::ffff:a.b.c.d` too) is inside the network.
    public func contains(_ text: String) -> Bool {
        var host = Substring(text)
        if host.hasPrefix("::ffff:") { host = host.dropFirst(7) }
        guard let value = IPv4Network.parseAddress(host) else { return false }
        return value & IPv4Network.mask(prefix) == address
    }

    public var description: String {
        let octets = (0..<4).map { String((address >> UInt32(24 - $0 * 8)) & 0xff) }
        return octets.joined(separator: ".") + "/\(prefix)"
    }
}

/// Which source addresses may post callbacks, when the allow-list is on.
public struct AddressPolicy: Sendable, Equatable {
    /// Allowed networks; `nil` means every address is allowed (this value's default; `serve` turns the list on in
    /// production, see ``init(settings:)``).
    public var allowed: [IPv4Network]?
    /// Proxies whose `X-Forwarded-For` is believed (the last hop they add names the real client).
    public var trustedProxies: [IPv4Network]

    /// The addresses Safaricom is published to call from (DARAJA.md §8, with mpesakit's two additions).
    public static let safaricom: [IPv4Network] = [
        "196.201.214.200", "196.201.214.206", "196.201.213.114", "196.201.214.207", "196.201.214.208",
        "196.201.213.44", "196.201.212.127", "196.201.212.138", "196.201.212.129", "196.201.212.136",
        "196.201.212.74", "196.201.212.69", "196.201.212.128", "196.201.212.132",
    ].compactMap { IPv4Network($0) }

    /// A policy.
    public init(allowed: [IPv4Network]? = nil, trustedProxies: [IPv4Network] = []) {
        self.allowed = allowed
        self.trustedProxies = trustedProxies
    }

    /// The client address: the peer, or the last `X-Forwarded-For` entry a trusted proxy added.
    public func clientAddress(peer: String?, forwardedFor: String?) -> String? {
        guard let peer else { return nil }
        guard let forwardedFor, trustedProxies.contains(where: { $0.contains(peer) }) else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        // Walk back from the nearest hop, skipping our own proxies.
        for hop in hops.reversed() where !trustedProxies.contains(where: { $0.contains(hop) }) {
            return hop
        }
        return hops.first ?? peer
    }

    /// Whether a client address may post callbacks.
    public func allows(_ client: String?) -> Bool {
        guard let allowed else { return true }
        guard let client else { return false }
        return allowed.contains { $0.contains(client) }
    }
}

extension AddressPolicy {
    /// The policy `serve` runs with: the settings' allow-list (`safaricom` stands for ``safaricom``; on by default in
    /// production, see ``CallbackSettings/load(from:)``) and trusted proxies.
    public init(settings: CallbackSettings) throws(ConfigurationError) {
        func networks(_ items: [String], variable: String) throws(ConfigurationError) -> [IPv4Network] {
            var result: [IPv4Network] = []
            for item in items {
                if item.lowercased() == "safaricom" {
                    result += AddressPolicy.safaricom
                } else if let network = IPv4Network(item) {
                    result.append(network)
                } else {
                    throw ConfigurationError(
                        variable: variable, problem: "has an entry that is not an IPv4 address or CIDR")
                }
            }
            return result
        }
        self.init(
            allowed: try settings.allowList.map { list throws(ConfigurationError) in
                try networks(list, variable: "RECON_CALLBACK_ALLOWLIST")
            },
            trustedProxies: try networks(settings.trustedProxies, variable: "RECON_TRUSTED_PROXIES"))
    }
}
