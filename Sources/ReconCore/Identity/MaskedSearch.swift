/// What a viewer who sees phone numbers masked (finance) may search payments by: only what that viewer can see.
///
/// A search is an oracle: matching the last five, six, … digits of a phone, or a whole CheckoutRequestID (which
/// ends with the payer's number), would let a masked viewer confirm a full number or recover a hidden digit in
/// ten queries. So a masked viewer matches a phone by exactly its last four digits (what the mask shows) and never
/// by a CheckoutRequestID; receipts, learners and courses are not hidden from them and stay searchable.
public enum MaskedSearch {
    /// The rule, as the API and the console tell a refused viewer.
    public static let rule =
        "Search by M-Pesa receipt, learner, course, or the last 4 digits of a phone (the digits you can see)."

    /// Whether a masked viewer may run this search: no CheckoutRequestID, and no run of digits other than
    /// exactly four.
    public static func allows(_ text: String) -> Bool {
        let trimmed = text.trimmingSpaces()
        if trimmed.lowercased().hasPrefix("ws_co_") { return false }
        var run = 0
        var runs: [Int] = []
        for byte in trimmed.utf8 {
            if byte >= 0x30 && byte <= 0x39 {
                run += 1
            } else {
                if run > 0 { runs.append(run) }
                run = 0
            }
        }
        if run > 0 { runs.append(run) }
        let allDigits = !trimmed.isEmpty && runs == [trimmed.utf8.count]
        if allDigits { return trimmed.utf8.count == 4 }
        // Receipts mix letters and short digit runs (`TKR1AAA001`); five digits in a row could be part of a phone.
        return runs.allSatisfy { $0 < 5 }
    }
}
