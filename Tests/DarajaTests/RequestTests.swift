import Daraja
import Foundation
import ReconCore
import Testing

@Suite struct DarajaPasswordTests {
    static let passkey = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"

    @Test func docsSample() throws {
        let password = DarajaPassword(shortcode: "174379", passkey: Self.passkey, timestamp: "20210628092408")
        let decoded = try #require(Data(base64Encoded: password.password))
        #expect(String(decoding: decoded, as: UTF8.self) == "174379" + Self.passkey + "20210628092408")
        #expect(
            password.password
                == "MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMjEwNjI4MDkyNDA4"
        )
    }

    @Test func timestampIsEastAfricaTime() throws {
        let date = try #require(ISO8601DateFormatter().date(from: "2026-09-23T17:19:33Z"))
        #expect(DarajaPassword.timestamp(for: date) == "20260923201933")
        let password = DarajaPassword(shortcode: "174379", passkey: Self.passkey, date: date)
        #expect(password.timestamp == "20260923201933")
        let decoded = try #require(Data(base64Encoded: password.password))
        #expect(String(decoding: decoded, as: UTF8.self).hasSuffix("20260923201933"))
    }

    @Test func descriptionHidesThePassword() {
        let password = DarajaPassword(shortcode: "174379", passkey: Self.passkey, timestamp: "20210628092408")
        #expect(!"\(password)".contains(password.password))
        #expect(!String(reflecting: password).contains(password.password))
    }
}

@Suite struct StkPushRequestTests {
    static let password = DarajaPassword(
        shortcode: "174379", passkey: DarajaPasswordTests.passkey, timestamp: "20210628092408")

    static func request(
        amount: Money = Money(minorUnits: 150_000), phone: String = "254708374149",
        callbackURL: String = "https://pay.example.com/callbacks/stk/0123abcd",
        accountReference: String = "INV-42", transactionDesc: String = "Course fee",
        transactionType: StkPushRequest.TransactionType = .customerPayBillOnline
    ) throws -> StkPushRequest {
        try StkPushRequest(
            businessShortCode: "174379", password: password, transactionType: transactionType, amount: amount,
            phone: try MSISDN(parsing: phone), partyB: "174379", callbackURL: callbackURL,
            accountReference: accountReference, transactionDesc: transactionDesc)
    }

    @Test func bodyIsExactJSON() throws {
        let body = try Self.request().jsonBody()
        let expected =
            #"{"BusinessShortCode":"174379","Password":"\#(Self.password.password)","Timestamp":"20210628092408","#
            + #""TransactionType":"CustomerPayBillOnline","Amount":1500,"PartyA":"254708374149","PartyB":"174379","#
            + #""PhoneNumber":"254708374149","CallBackURL":"https://pay.example.com/callbacks/stk/0123abcd","#
            + #""AccountReference":"INV-42","TransactionDesc":"Course fee"}"#
        #expect(String(decoding: body, as: UTF8.self) == expected)
        // An independent parser agrees: Amount is an integer number, the phone is digits.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(object["Amount"] as? Int == 1500)
        #expect(object["PhoneNumber"] as? String == "254708374149")
        #expect(object.count == 11)
    }

    @Test func amountRules() throws {
        _ = try Self.request(amount: Money(minorUnits: 100))
        _ = try Self.request(amount: Money(minorUnits: 25_000_000))
        for cents: Int64 in [0, 50, 150, 25_000_100, -100] {
            let error = #expect(throws: DarajaError.self, "\(cents)") {
                try Self.request(amount: Money(minorUnits: cents))
            }
            #expect(error?.code == .invalidRequest)
            #expect(error?.field == "Amount")
        }
    }

    @Test func newSafaricomPrefixIsAccepted() throws {
        let body = try Self.request(phone: "0110123456", transactionType: .customerBuyGoodsOnline).jsonBody()
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains(#""PartyA":"254110123456""#))
        #expect(text.contains(#""TransactionType":"CustomerBuyGoodsOnline""#))
    }

    @Test func textIsSanitisedThenLimited() throws {
        let request = try Self.request(accountReference: "INV#20@24&A", transactionDesc: "Fee (course) ✓")
        #expect(request.accountReference == "INV2024A")
        #expect(request.transactionDesc == "Fee course")
        #expect(DarajaText.sanitised("  a_b-c.d e!?  ") == "a_b-c.d e")
        let long = #expect(throws: DarajaError.self) { try Self.request(accountReference: "ABCDEFGHIJKLM") }
        #expect(long?.field == "AccountReference")
        _ = try Self.request(accountReference: "ABCDEFGHIJKL")
        let empty = #expect(throws: DarajaError.self) { try Self.request(accountReference: "@#&") }
        #expect(empty?.field == "AccountReference")
        let desc = #expect(throws: DarajaError.self) { try Self.request(transactionDesc: "Fourteen chars") }
        #expect(desc?.field == "TransactionDesc")
        _ = try Self.request(transactionDesc: "Thirteen char")
    }

    @Test(arguments: [
        "https://pay.example.com/mpesa/callback", "https://pay.example.com/cb?Query=1", "https://SafariCom.example/cb",
        "https://Pay.example.com/cb", "ftp://pay.example.com/cb", "https://pay.example.com/cb ", "pay.example.com/cb",
        "https:///cb", "", "https://pay.example.com/run.exe", "https://pay.example.com/M-PESA",
    ])
    func callbackURLRules(url: String) {
        let error = #expect(throws: DarajaError.self) { try Self.request(callbackURL: url) }
        #expect(error?.field == "CallBackURL")
        // The URL carries the callback's secret token: it never appears in the error.
        if !url.isEmpty { #expect(!"\(error.map(String.init(reflecting:)) ?? "")".contains(url)) }
    }

    @Test func plainHTTPAndPortsAreAllowed() throws {
        _ = try Self.request(callbackURL: "http://127.0.0.1:8080/callbacks/stk/0123abcd")
    }

    @Test func queryBody() throws {
        let query = try StkQueryRequest(
            businessShortCode: "174379", password: Self.password, checkoutRequestID: "ws_CO_17112022155730304796440427")
        #expect(
            String(decoding: query.jsonBody(), as: UTF8.self)
                == #"{"BusinessShortCode":"174379","Password":"\#(Self.password.password)","Timestamp":"20210628092408","#
                + #""CheckoutRequestID":"ws_CO_17112022155730304796440427"}"#)
        #expect(throws: DarajaError.self) {
            try StkQueryRequest(businessShortCode: "174379", password: Self.password, checkoutRequestID: "")
        }
    }
}

@Suite struct B2CPaymentRequestTests {
    static func request(remarks: String = "Refund INV-42", occasion: String? = nil) throws -> B2CPaymentRequest {
        try B2CPaymentRequest(
            originatorConversationID: "5f3c1a2e-8d4b-4c6a-9e1f-0a2b3c4d5e6f", initiatorName: "testapi",
            securityCredential: "c2VjcmV0", amount: Money(minorUnits: 25_000), partyA: "600996",
            partyB: try MSISDN(parsing: "254712345678"), remarks: remarks,
            queueTimeOutURL: "https://pay.example.com/b2c/timeout/0123",
            resultURL: "https://pay.example.com/b2c/result/0123",
            occasion: occasion)
    }

    @Test func bodyUsesV3Spelling() throws {
        let body = try Self.request(occasion: "Refund #42").jsonBody()
        let expected =
            #"{"OriginatorConversationID":"5f3c1a2e-8d4b-4c6a-9e1f-0a2b3c4d5e6f","InitiatorName":"testapi","#
            + #""SecurityCredential":"c2VjcmV0","CommandID":"BusinessPayment","Amount":250,"PartyA":"600996","#
            + #""PartyB":"254712345678","Remarks":"Refund INV-42","#
            + #""QueueTimeOutURL":"https://pay.example.com/b2c/timeout/0123","#
            + #""ResultURL":"https://pay.example.com/b2c/result/0123","Occassion":"Refund 42"}"#
        #expect(String(decoding: body, as: UTF8.self) == expected)
        let withoutOccasion = String(decoding: try Self.request().jsonBody(), as: UTF8.self)
        #expect(!withoutOccasion.contains("Occas"))
    }

    @Test func rules() throws {
        let short = #expect(throws: DarajaError.self) { try Self.request(remarks: "R") }
        #expect(short?.field == "Remarks")
        #expect(throws: DarajaError.self) { try Self.request(remarks: String(repeating: "r", count: 101)) }
        _ = try Self.request(remarks: String(repeating: "r", count: 100))
        #expect(throws: DarajaError.self) { try Self.request(occasion: "@@") }
        let cents = #expect(throws: DarajaError.self) {
            try B2CPaymentRequest(
                originatorConversationID: "oc-1", initiatorName: "testapi", securityCredential: "x",
                amount: Money(minorUnits: 25_050), partyA: "600996", partyB: try MSISDN(parsing: "254712345678"),
                remarks: "Refund", queueTimeOutURL: "https://a.example/t", resultURL: "https://a.example/r")
        }
        #expect(cents?.field == "Amount")
        let badID = #expect(throws: DarajaError.self) {
            try B2CPaymentRequest(
                originatorConversationID: "oc 1", initiatorName: "testapi", securityCredential: "x",
                amount: Money(minorUnits: 100), partyA: "600996", partyB: try MSISDN(parsing: "254712345678"),
                remarks: "Refund", queueTimeOutURL: "https://a.example/t", resultURL: "https://a.example/r")
        }
        #expect(badID?.field == "OriginatorConversationID")
    }

    @Test func descriptionHidesCredentialAndPhone() throws {
        let text = "\(try Self.request())"
        #expect(!text.contains("c2VjcmV0"))
        #expect(!text.contains("254712345678"))
    }
}

@Suite struct TransactionStatusRequestTests {
    static func request(_ target: TransactionStatusRequest.Target) throws -> TransactionStatusRequest {
        try TransactionStatusRequest(
            initiator: "testapi", securityCredential: "c2VjcmV0", target: target, partyA: "600996",
            resultURL: "https://pay.example.com/status/result/0123",
            queueTimeOutURL: "https://pay.example.com/status/timeout/0123", remarks: "Refund check", occasion: "r-42")
    }

    @Test func byOriginatorConversationID() throws {
        let body = String(
            decoding: try Self.request(.originalConversationID("5f3c1a2e-8d4b")).jsonBody(), as: UTF8.self)
        let expected =
            #"{"Initiator":"testapi","SecurityCredential":"c2VjcmV0","CommandID":"TransactionStatusQuery","#
            + #""OriginalConversationID":"5f3c1a2e-8d4b","PartyA":"600996","IdentifierType":"4","#
            + #""ResultURL":"https://pay.example.com/status/result/0123","#
            + #""QueueTimeOutURL":"https://pay.example.com/status/timeout/0123","Remarks":"Refund check","#
            + #""Occasion":"r-42"}"#
        #expect(body == expected)
    }

    @Test func byReceipt() throws {
        let body = String(decoding: try Self.request(.transactionID("SG722NMVXQ")).jsonBody(), as: UTF8.self)
        #expect(body.contains(#""TransactionID":"SG722NMVXQ""#))
        #expect(!body.contains("OriginalConversationID"))
        #expect(!body.contains("Transaction ID"))
        let error = #expect(throws: DarajaError.self) { try Self.request(.transactionID("")) }
        #expect(error?.field == "TransactionID")
    }
}
