public import ReconCore

/// An STK Push result delivered to our CallBackURL, classified with the STK result-code table.
public struct StkCallback: Sendable, Equatable {
    /// `MerchantRequestID`, when sent; only the CheckoutRequestID identifies the payment.
    public let merchantRequestID: String?
    /// `CheckoutRequestID`, the key of the payment row.
    public let checkoutRequestID: String
    /// `ResultCode` as text; the number `0` and the string `"0"` both read `"0"`.
    public let resultCode: String
    /// `ResultDesc` as sent (empty when absent); for people only, never used to classify.
    public let resultDesc: String
    /// The classified answer; `.paid` carries the metadata items found.
    public let answer: StkAnswer

    /// Decodes a callback body; never traps, and throws ``DarajaError`` when the body cannot be trusted.
    ///
    /// Accepted shapes (DARAJA.md §4): `{"Body":{"stkCallback":{…}}}`, `{"stkCallback":{…}}`, and the bare inner
    /// object. `CallbackMetadata.Item` entries are read by `Name` in any order; an item without `Value` (the usual
    /// `Balance`) is ignored. An `Amount` that is not an exact positive amount (e.g. `1.001`) rejects the whole body,
    /// because a wrong amount would corrupt reconciliation; a malformed phone number or date only leaves that
    /// detail empty.
    public init(json body: some Collection<UInt8>) throws(DarajaError) {
        let root = try Fields.object(body)
        let inner: JSON
        if root["Body"] != nil {
            inner = try Fields.requiredObject(try Fields.requiredObject(root, "Body"), "stkCallback")
        } else if root["stkCallback"] != nil {
            inner = try Fields.requiredObject(root, "stkCallback")
        } else {
            inner = root
        }
        checkoutRequestID = try Fields.requiredText(inner, "CheckoutRequestID")
        merchantRequestID = Fields.text(inner["MerchantRequestID"])
        let code = try Fields.requiredCode(inner, "ResultCode")
        resultCode = code.text
        resultDesc = inner["ResultDesc"]?.scalarText ?? ""
        var details: StkPaymentDetails?
        if StkResultCode.meaning(of: code) == .paid, let metadata = inner["CallbackMetadata"] {
            details = try StkCallback.details(from: metadata)
        }
        answer = StkResultCode.answer(code: code, description: resultDesc, details: details)
    }

    private static func details(from metadata: JSON) throws(DarajaError) -> StkPaymentDetails {
        var items: [String: JSON] = [:]
        for item in metadata["Item"]?.elementsOrSingle ?? [] {
            guard let name = item["Name"]?.scalarText, let value = item["Value"], items[name] == nil else { continue }
            items[name] = value
        }
        return StkPaymentDetails(
            receipt: Fields.text(items["MpesaReceiptNumber"]),
            amount: try Fields.amount(items["Amount"], field: "Amount"),
            phone: Fields.digits(items["PhoneNumber"]),
            transactionDate: Fields.digits(items["TransactionDate"]))
    }
}
