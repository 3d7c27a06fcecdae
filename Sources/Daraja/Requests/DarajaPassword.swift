public import Foundation
import ReconCore

/// The STK `Password` and the `Timestamp` it was built with; the two must always travel together.
///
/// `Password = base64(BusinessShortCode + Passkey + Timestamp)` with no separators (DARAJA.md §2), so it reveals the
/// passkey to anyone who decodes it: `description` hides it.
public struct DarajaPassword: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// `YYYYMMDDHHmmss` in East Africa Time.
    public let timestamp: String
    /// The base64 password; a secret.
    public let password: String

    /// A password for an explicit timestamp.
    public init(shortcode: String, passkey: String, timestamp: String) {
        self.timestamp = timestamp
        self.password = Data((shortcode + passkey + timestamp).utf8).base64EncodedString()
    }

    /// A password for an instant, whose timestamp is taken in East Africa Time (UTC+3), as the Nkap adapter does
    /// (DARAJA.md §9.6).
    public init(shortcode: String, passkey: String, date: Date) {
        self.init(shortcode: shortcode, passkey: passkey, timestamp: DarajaPassword.timestamp(for: date))
    }

    /// `YYYYMMDDHHmmss` in East Africa Time, e.g. 2026-09-23T17:19:33Z → `20260923201933`.
    public static func timestamp(for date: Date) -> String {
        EastAfricaTime.compactTimestamp(date)
    }

    public var description: String { "DarajaPassword(timestamp: \(timestamp), password: <redacted>)" }
    public var debugDescription: String { description }
}
