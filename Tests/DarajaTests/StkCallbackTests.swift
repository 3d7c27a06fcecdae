import Daraja
import Foundation
import ReconCore
import Testing

/// STK callback fixtures in the shapes of DARAJA.md §4.
enum StkFixtures {
    /// Production-style: Body wrapper, number ResultCode, Amount `1.00`, Balance without Value, five items.
    static let successWrapped = """
        {"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1",
        "CheckoutRequestID":"ws_CO_17112022155730304796440427","ResultCode":0,
        "ResultDesc":"The service request is processed successfully.",
        "CallbackMetadata":{"Item":[{"Name":"Amount","Value":1.00},{"Name":"MpesaReceiptNumber","Value":"NLJ7RT61SV"},
        {"Name":"Balance"},{"Name":"TransactionDate","Value":20221117155745},
        {"Name":"PhoneNumber","Value":254796440427}]}}}}
        """

    /// No Body wrapper, Amount `1`, items in another order, no Balance item.
    static let successUnwrapped = """
        {"stkCallback":{"MerchantRequestID":"f1e2-4b95-a71d-b30d3cdbb7a7942864",
        "CheckoutRequestID":"ws_CO_23092026201933123708374149","ResultCode":0,"ResultDesc":"Success",
        "CallbackMetadata":{"Item":[{"Name":"PhoneNumber","Value":254708374149},
        {"Name":"TransactionDate","Value":20260923201952},{"Name":"MpesaReceiptNumber","Value":"QKH94M1Z11"},
        {"Name":"Amount","Value":1}]}}}
        """

    /// The bare inner object with string codes and string values.
    static let successBare = """
        {"MerchantRequestID":"1","CheckoutRequestID":"ws_CO_1","ResultCode":"0","ResultDesc":"ok",
        "CallbackMetadata":{"Item":{"Name":"Amount","Value":"1.00"}}}
        """

    /// A cancellation: no CallbackMetadata at all.
    static let cancelled = """
        {"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1",
        "CheckoutRequestID":"ws_CO_191220191020363925","ResultCode":1032,
        "ResultDesc":"Request cancelled by user"}}}
        """

    static func callback(code: String, metadata: String = "") -> String {
        """
        {"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":"ws_CO_X","ResultCode":\(code),
        "ResultDesc":"d"\(metadata)}}}
        """
    }

    static func amountCallback(_ literal: String) -> String {
        callback(code: "0", metadata: #","CallbackMetadata":{"Item":[{"Name":"Amount","Value":\#(literal)}]}"#)
    }
}

@Suite struct StkCallbackTests {
    @Test func bodyWrappedSuccess() throws {
        let callback = try StkCallback(json: Array(StkFixtures.successWrapped.utf8))
        #expect(callback.checkoutRequestID == "ws_CO_17112022155730304796440427")
        #expect(callback.merchantRequestID == "29115-34620561-1")
        #expect(callback.resultCode == "0")
        guard case .paid(let maybeDetails) = callback.answer else {
            Issue.record("expected paid, got \(callback.answer)")
            return
        }
        let details = try #require(maybeDetails)
        #expect(details.receipt == "NLJ7RT61SV")
        #expect(details.amount == Money(minorUnits: 100))
        #expect(details.phone == "254796440427")
        #expect(details.transactionDate == "20221117155745")
        #expect(details.paidAt == Date(timeIntervalSince1970: 1_668_689_865))
    }

    @Test func unwrappedSuccessReadsItemsByName() throws {
        let callback = try StkCallback(json: Data(StkFixtures.successUnwrapped.utf8))
        let expected = StkPaymentDetails(
            receipt: "QKH94M1Z11", amount: Money(minorUnits: 100), phone: "254708374149",
            transactionDate: "20260923201952")
        #expect(callback.answer == .paid(expected))
        #expect(callback.checkoutRequestID == "ws_CO_23092026201933123708374149")
    }

    @Test func bareInnerObjectWithStringCodeAndSingleItem() throws {
        let callback = try StkCallback(json: Array(StkFixtures.successBare.utf8))
        #expect(callback.resultCode == "0")
        #expect(
            callback.answer
                == .paid(
                    StkPaymentDetails(receipt: nil, amount: Money(minorUnits: 100), phone: nil, transactionDate: nil)))
    }

    @Test func failureWithoutMetadata() throws {
        let callback = try StkCallback(json: Array(StkFixtures.cancelled.utf8))
        #expect(callback.resultCode == "1032")
        #expect(
            callback.answer
                == .failed(code: "1032", reason: .cancelledByUser, description: "Request cancelled by user"))
    }

    @Test func stringAndNumberResultCodesAgree() throws {
        for code in ["1037", "\"1037\""] {
            let callback = try StkCallback(json: Array(StkFixtures.callback(code: code).utf8))
            #expect(callback.answer == .failed(code: "1037", reason: .noResponse, description: "d"))
        }
        let zero = try StkCallback(json: Array(StkFixtures.callback(code: "\"0\"").utf8))
        #expect(zero.answer == .paid(nil))
    }

    @Test func unknownAndInFlightCodes() throws {
        let unknown = try StkCallback(json: Array(StkFixtures.callback(code: "1001").utf8))
        guard case .notUnderstood = unknown.answer else {
            Issue.record("1001 must not be a verdict, got \(unknown.answer)")
            return
        }
        let nonInteger = try StkCallback(json: Array(StkFixtures.callback(code: "0.0").utf8))
        guard case .notUnderstood = nonInteger.answer else {
            Issue.record("0.0 is not the code 0, got \(nonInteger.answer)")
            return
        }
        let inFlight = try StkCallback(json: Array(StkFixtures.callback(code: "4999").utf8))
        #expect(inFlight.answer == .inFlight(code: "4999"))
    }

    @Test(arguments: [("1", 100), ("1.00", 100), ("\"1.00\"", 100), ("\"1\"", 100), ("2.5", 250), ("1500.00", 150_000)])
    func amountsAreExact(literal: String, minorUnits: Int64) throws {
        let callback = try StkCallback(json: Array(StkFixtures.amountCallback(literal).utf8))
        guard case .paid(let details) = callback.answer else {
            Issue.record("expected paid")
            return
        }
        #expect(details?.amount == Money(minorUnits: minorUnits))
    }

    @Test(arguments: ["1.001", "\"1.001\"", "1e2", "-1", "0", "\"abc\"", "true", "{}", "0.999999999999999999999"])
    func inexactOrInvalidAmountsAreRejected(literal: String) {
        let error = #expect(throws: DarajaError.self) {
            try StkCallback(json: Array(StkFixtures.amountCallback(literal).utf8))
        }
        #expect(error?.code == .invalidField)
        #expect(error?.field == "Amount")
    }

    @Test func hugeNumbersStayExactText() throws {
        let metadata =
            #","CallbackMetadata":{"Item":[{"Name":"TransactionDate","Value":20221117155745},"#
            + #"{"Name":"PhoneNumber","Value":254796440427},{"Name":"MpesaReceiptNumber","Value":"X"}]}"#
        let callback = try StkCallback(json: Array(StkFixtures.callback(code: "0", metadata: metadata).utf8))
        guard case .paid(let details) = callback.answer else {
            Issue.record("expected paid")
            return
        }
        #expect(details?.transactionDate == "20221117155745")
        #expect(details?.phone == "254796440427")
    }

    @Test func malformedDetailFieldsAreLeftEmpty() throws {
        let metadata =
            #","CallbackMetadata":{"Item":[{"Name":"TransactionDate","Value":2.0221117155745E13},"#
            + #"{"Name":"PhoneNumber","Value":"25470****149"},{"Name":"Amount","Value":1}]}"#
        let callback = try StkCallback(json: Array(StkFixtures.callback(code: "0", metadata: metadata).utf8))
        guard case .paid(let details) = callback.answer else {
            Issue.record("expected paid")
            return
        }
        #expect(details?.transactionDate == nil)
        #expect(details?.phone == nil)
        #expect(details?.amount == Money(minorUnits: 100))
    }

    @Test(arguments: [
        "", "   ", "not json", "[]", "42", "null", "\"text\"", "{}", #"{"Body":{}}"#, #"{"Body":"x"}"#,
        #"{"Body":{"stkCallback":[]}}"#, #"{"stkCallback":null}"#,
        #"{"MerchantRequestID":"m","ResultCode":0,"ResultDesc":"d"}"#,
        #"{"CheckoutRequestID":"","ResultCode":0}"#,
        #"{"CheckoutRequestID":"ws_CO_1"}"#,
        #"{"CheckoutRequestID":"ws_CO_1","ResultCode":true}"#,
        #"{"CheckoutRequestID":"ws_CO_1","ResultCode":0,"ResultCode":1032}"#,
        #"{"CheckoutRequestID":"ws_CO_1","ResultCode":0"#,
        #"{"CheckoutRequestID":"ws_CO_1\u0000","ResultCode":0}x"#,
        #"{"CheckoutRequestID":"\ud800","ResultCode":0}"#,
        #"{"CheckoutRequestID":"ws_CO_1","ResultCode":01}"#,
    ])
    func untrustworthyBodiesThrow(body: String) {
        #expect(throws: DarajaError.self) { try StkCallback(json: Array(body.utf8)) }
    }

    @Test func missingCheckoutRequestIDNamesTheField() {
        let body = #"{"Body":{"stkCallback":{"MerchantRequestID":"m","ResultCode":0,"ResultDesc":"d"}}}"#
        let error = #expect(throws: DarajaError.self) { try StkCallback(json: Array(body.utf8)) }
        #expect(error?.code == .missingField)
        #expect(error?.field == "CheckoutRequestID")
    }

    @Test func invalidUTF8AndDeepNestingThrow() {
        let invalid: [UInt8] =
            Array(#"{"CheckoutRequestID":""#.utf8) + [0xC3, 0x28] + Array(#"","ResultCode":0}"#.utf8)
        #expect(throws: DarajaError.self) { try StkCallback(json: invalid) }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = #expect(throws: DarajaError.self) { try StkCallback(json: Array(deep.utf8)) }
        #expect(error?.code == .malformedJSON)
    }

    /// Every truncation and thousands of byte mutations of a real callback either decode or throw, never trap.
    @Test func mutatedBodiesAreClassified() {
        let original = Array(StkFixtures.successWrapped.utf8)
        var decoded = 0
        for length in 0..<original.count {
            if (try? StkCallback(json: original.prefix(length))) != nil { decoded += 1 }
        }
        #expect(decoded == 0, "a truncated callback must not decode")
        var generator = SeededGenerator(seed: 0x5AFA_41C0)
        let alphabet = Array("{}[]\":,0123456789.eE-+ \\utrfn".utf8) + [0x00, 0xFF, 0xC3]
        for _ in 0..<3000 {
            var mutated = original
            for _ in 0..<Int(generator.next() % 4 + 1) {
                let position = Int(generator.next() % UInt64(mutated.count))
                mutated[position] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
            }
            // Every body is classified: it decodes to a callback that names its payment, or it is refused with a
            // DarajaError that says why — never another kind of error, never a callback without an id.
            do {
                let callback = try StkCallback(json: mutated)
                #expect(!callback.checkoutRequestID.isEmpty)
                #expect(!callback.checkoutRequestID.unicodeScalars.contains("\u{0}"))
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }
}

@Suite struct PrintingTests {
    @Test func printedAnswersHidePhoneNumbers() throws {
        let callback = try StkCallback(json: Array(StkFixtures.successWrapped.utf8))
        for text in ["\(callback)", String(reflecting: callback), "\(callback.answer)"] {
            #expect(!text.contains("254796440427"), "\(text)")
            #expect(text.contains("NLJ7RT61SV"))
        }
        let b2c = try B2CResult(json: Array(ResultFixtures.b2cSuccessArray.utf8))
        for text in ["\(b2c)", String(reflecting: b2c), "\(b2c.answer)"] {
            #expect(!text.contains("254712345678"), "\(text)")
        }
        let status = try TransactionStatusResult(json: Array(ResultFixtures.statusV1.utf8))
        #expect(!"\(status)".contains("254708374149"))
    }
}
