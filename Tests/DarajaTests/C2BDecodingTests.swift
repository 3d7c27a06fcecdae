import Daraja
import Foundation
import ReconCore
import ReconTestSupport
import Testing

@Suite("C2B and Pull Transactions: the payloads of C2B-PULL.md §9 decode as Daraja sends them")
struct C2BDecodingTests {
    static func bytes(_ number: Int) -> [UInt8] { Array(C2BPayloads.body(number).utf8) }

    @Test("validation and confirmation bodies (1–3, 6–13): every field a string, names absent, any MSISDN form")
    func notifications() throws {
        for number in [1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13] {
            let notification = try C2BNotification(json: Self.bytes(number))
            #expect(!notification.receipt.isEmpty, "payload \(number)")
            #expect(notification.amount != nil, "payload \(number)")
            #expect(try notification.transaction().receipt == notification.receipt)
        }
        let masked = try C2BNotification(json: Self.bytes(8))
        #expect(masked.receipt == "SB62A1SVRK" && masked.amount == Money(minorUnits: 100))
        #expect(masked.billRef == "peter" && masked.firstName == "PETER" && masked.payerName == "PETER")
        #expect(PayerMSISDN(masked.msisdn) == .masked(prefix: "2547", suffix: "845"))
        #expect(masked.transactedAt == EastAfricaTime.date(compact: "20240206175204"))
        #expect(masked.orgAccountBalance == Money(minorUnits: 16_100))
        let whole = try C2BNotification(json: Self.bytes(2))
        #expect(whole.amount == Money(minorUnits: 1_000) && whole.transactionType.isEmpty)
        #expect(whole.orgAccountBalance == nil)
        let till = try C2BNotification(json: Self.bytes(10))
        #expect(till.transactionType == "Customer Merchant Payment" && till.billRef.isEmpty)
        if case .hashedMasked = PayerMSISDN(till.msisdn) {
        } else {
            Issue.record("payload 10's MSISDN not read as a masked hash")
        }
        let hashed = try C2BNotification(json: Self.bytes(11))
        #expect(
            PayerMSISDN(hashed.msisdn) == .hashed("94c392c311d522da950619227b3361752a42042db7e1e699b26e628305c68a88"))
        #expect(hashed.payerName == "NICHOLAS JOHN SONGOK" && hashed.invoiceNumber == "ThisInvoice")
        let full = try C2BNotification(json: Self.bytes(13))
        #expect(full.thirdPartyTransID == "1234567890" && PayerMSISDN(full.msisdn).identifiesNumber)
    }

    @Test("a confirmation without a readable amount decodes but yields no transaction; no TransID does not decode")
    func refusals() throws {
        let odd = try C2BNotification(json: Array(#"{"TransID":"X1","TransAmount":"1.001"}"#.utf8))
        #expect(odd.amount == nil)
        #expect(throws: DarajaError.self) { try odd.transaction() }
        #expect(throws: DarajaError.self) { try C2BNotification(json: Array(#"{"TransAmount":"1.00"}"#.utf8)) }
        #expect(throws: DarajaError.self) { try C2BNotification(json: Array("[1]".utf8)) }
    }

    @Test("the answers we give have §9's shapes (4, 5) and the acknowledgement (14) says 0")
    func answers() throws {
        #expect(C2BValidationDecision.accept("ok").body == C2BPayloads.body(4))
        #expect(
            C2BValidationDecision.reject("C2B00011", "no").body == C2BPayloads.body(5))
        let ack = try #require(
            try JSONSerialization.jsonObject(with: Data(C2BPayloads.body(14).utf8)) as? [String: Any])
        #expect((ack["ResultCode"] as? NSNumber)?.intValue == 0)
    }

    @Test("Pull register (15, 16): 1000 registered, 1001 already, keys with or without spaces")
    func pullRegister() {
        #expect(
            PullRegisterOutcome.classify(httpStatus: 200, body: Self.bytes(15))
                == .registered(description: "Shortcode Registered Successfully"))
        #expect(
            PullRegisterOutcome.classify(httpStatus: 200, body: Self.bytes(16))
                == .alreadyRegistered(description: "ShortCode already Registered"))
    }

    @Test("Pull query (17, 18): a page of five from [[…]], amounts as strings, numeric msisdn; 1001 is no data")
    func pullQuery() throws {
        let page = try PullQueryAnswer(json: Self.bytes(17))
        #expect(page.code == "1000" && page.transactions.count == 5 && page.unreadable == 0)
        let first = try #require(page.transactions.first)
        #expect(first.receipt == "yzlyrEsRG1" && first.amount == Money(minorUnits: 16_800))
        #expect(first.msisdn == "72200000" && first.billRef == "37207636392" && first.sender == "UAT2")
        #expect(first.date == EastAfricaTime.date(pull: "2020-08-05T10:13:00Z"))
        let none = try PullQueryAnswer(json: Self.bytes(18))
        #expect(none.code == "1001" && none.transactions.isEmpty)
        // The other container shapes: a flat list and a lone object.
        let flat = try PullQueryAnswer(
            json: Array(#"{"ResponseCode":"1000","Response":[{"transactionId":"A1","amount":5}]}"#.utf8))
        #expect(flat.transactions.map(\.receipt) == ["A1"])
        let lone = try PullQueryAnswer(
            json: Array(
                #"{"ResponseCode":"1000","Response":{"transactionId":"A2","amount":"5.00"},"TotalPages":"3"}"#.utf8))
        #expect(lone.transactions.map(\.receipt) == ["A2"] && lone.totalPages == 3)
        let bad = try PullQueryAnswer(json: Array(#"{"ResponseCode":"1000","Response":[[{"amount":"5.00"}]]}"#.utf8))
        #expect(bad.transactions.isEmpty && bad.unreadable == 1)
    }

    @Test(
        "RegisterURL answers: v2 Success, v1 success, both already-registered shapes, 401.003.01 as the wrong version")
    func registerAnswers() {
        let v2 =
            #"{"OriginatorCoversationID":"6e86-45dd-91ac-fd5d4178ab523408729","ResponseCode":"0","ResponseDescription":"Success"}"#
        #expect(
            C2BRegisterOutcome.classify(httpStatus: 200, body: Array(v2.utf8)) == .registered(description: "Success"))
        let v1 = #"{"OriginatorCoversationID":"7619-37765134-1","ResponseCode":"0","ResponseDescription":"success"}"#
        #expect(
            C2BRegisterOutcome.classify(httpStatus: 200, body: Array(v1.utf8)) == .registered(description: "success"))
        let old = #"{"ConversationID":"","OriginatorCoversationID":"","ResponseDescription":"success"}"#
        #expect(
            C2BRegisterOutcome.classify(httpStatus: 200, body: Array(old.utf8)) == .registered(description: "success"))
        let already2019 = #"{"ResponseDescription":"Validation and Confirmation URLs are already registered"}"#
        if case .alreadyRegistered = C2BRegisterOutcome.classify(httpStatus: 200, body: Array(already2019.utf8)) {
        } else {
            Issue.record("the 2019 already-registered answer was not recognised")
        }
        let already = #"{"requestId":"1","errorCode":"500.003.1001","errorMessage":"Urls are already registered"}"#
        if case .alreadyRegistered = C2BRegisterOutcome.classify(httpStatus: 500, body: Array(already.utf8)) {
        } else {
            Issue.record("500.003.1001 already-registered was not recognised")
        }
        let internalError = #"{"requestId":"1","errorCode":"500.003.1001","errorMessage":"Internal Server Error"}"#
        #expect(
            C2BRegisterOutcome.classify(httpStatus: 500, body: Array(internalError.utf8))
                == .refused(code: "500.003.1001", message: "Internal Server Error"))
        let product =
            #"{"requestId":"1","errorCode":"401.003.01","errorMessage":"Error Occurred - Invalid Access Token - Invalid API call as no apiproduct match found"}"#
        #expect(
            C2BRegisterOutcome.classify(httpStatus: 401, body: Array(product.utf8)) == .wrongVersion(code: "401.003.01")
        )
    }

    @Test("requests: RegisterURL's body, Pull's 254 number and Nairobi dates, windows over 48 hours refused")
    func requests() throws {
        let register = try C2BRegisterRequest(
            shortcode: "600000", responseType: "Completed", confirmationURL: "https://pay.example.com/c2b/c?token=t",
            validationURL: "https://pay.example.com/c2b/v?token=t")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(register.jsonBody())) as? [String: String])
        #expect(object["ShortCode"] == "600000" && object["ResponseType"] == "Completed")
        #expect(throws: DarajaError.self) {
            try C2BRegisterRequest(
                shortcode: "600000", responseType: "Canceled", confirmationURL: "https://a.example.com/c",
                validationURL: "https://a.example.com/v")
        }
        let pull = try PullRegisterRequest(
            shortcode: "600000", nominatedNumber: try MSISDN(parsing: "0722000000"),
            callbackURL: "https://pay.example.com/api/payments/pull/callback/?token=t")
        #expect(String(decoding: pull.jsonBody(), as: UTF8.self).contains(#""NominatedNumber":"254722000000""#))
        let start = try #require(EastAfricaTime.date(compact: "20200804083600"))
        let query = try PullQueryRequest(
            shortcode: "600000", start: start, end: start.addingTimeInterval(3600), page: 2)
        let text = String(decoding: query.jsonBody(), as: UTF8.self)
        #expect(text.contains(#""StartDate":"2020-08-04 08:36:00""#) && text.contains(#""OffSetValue":"2""#))
        #expect(throws: DarajaError.self) {
            try PullQueryRequest(shortcode: "600000", start: start, end: start.addingTimeInterval(49 * 3600), page: 0)
        }
    }
}
