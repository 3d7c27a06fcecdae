import Foundation
import ReconCore
import Testing

@Suite struct DarajaCodeTests {
    @Test func numberZeroAndStringZeroAreTheSameCode() {
        #expect(DarajaCode(0) == DarajaCode("0"))
        #expect(DarajaCode(1032) == "1032")
        #expect(DarajaCode("00") != DarajaCode(0))
        #expect(DarajaCode("0.0") != DarajaCode(0))
    }
}

@Suite struct StkResultCodeTests {
    @Test func zeroIsPaidAnd4999IsInFlight() {
        #expect(StkResultCode.meaning(of: "0") == .paid)
        #expect(StkResultCode.meaning(of: DarajaCode(0)) == .paid)
        #expect(StkResultCode.meaning(of: "4999") == .inFlight)
    }

    @Test(arguments: [
        ("1032", StkFailureReason.cancelledByUser), ("1031", .cancelledByUser), ("1037", .noResponse),
        ("1", .insufficientBalance), ("2001", .wrongPin), ("1019", .expired), ("1036", .smscAckTimeout),
        ("17", .ruleLimited), ("2028", .notPermitted), ("2", .belowMinimumAmount), ("3", .aboveMaximumAmount),
        ("4", .dailyLimitExceeded), ("8", .maximumBalanceExceeded), ("1025", .pushError),
        ("8006", .credentialLocked), ("SFC_IC0003", .operatorDoesNotExist),
    ])
    func documentedFailuresAreFinal(code: String, reason: StkFailureReason) {
        #expect(StkResultCode.meaning(of: DarajaCode(code)) == .finalFailure(reason))
        // The answer the state machine gets keeps Daraja's own code and description, not a guess of ours.
        #expect(
            StkResultCode.answer(code: DarajaCode(code), description: "as Daraja said", details: nil)
                == .failed(code: code, reason: reason, description: "as Daraja said"))
    }

    @Test(arguments: ["1001", "9999", "26", "5", "1033", "00", " 0", "0 ", "", "sfc_ic0003", "R000001", "-1"])
    func weakOrUnknownCodesAreNotUnderstood(code: String) {
        #expect(StkResultCode.meaning(of: DarajaCode(code)) == .notUnderstood)
    }

    @Test func answerClassifiesOnCodeNotDescription() {
        // A cancel wording with an unknown code must not become a failure.
        let unknown = StkResultCode.answer(code: "1001", description: "Request cancelled by user", details: nil)
        guard case .notUnderstood(let text) = unknown else {
            Issue.record("expected notUnderstood, got \(unknown)")
            return
        }
        #expect(text.contains("1001"))
        // A success code with a failure-looking description is still paid.
        #expect(StkResultCode.answer(code: "0", description: "failed", details: nil) == .paid(nil))
        #expect(
            StkResultCode.answer(code: "1032", description: "Request cancelled by user", details: nil)
                == .failed(code: "1032", reason: .cancelledByUser, description: "Request cancelled by user"))
        #expect(StkResultCode.answer(code: "4999", description: "", details: nil) == .inFlight(code: "4999"))
    }

    @Test func paymentDetailsParseTransactionDateAsNairobiTime() throws {
        let details = StkPaymentDetails(
            receipt: "NLJ7RT61SV", amount: Money(minorUnits: 100), phone: "254796440427",
            transactionDate: "20221117155745")
        let paidAt = try #require(details.paidAt)
        // 15:57:45 in Nairobi is 12:57:45 UTC.
        #expect(paidAt == Date(timeIntervalSince1970: 1_668_689_865))
        let bad = StkPaymentDetails(receipt: nil, amount: nil, phone: nil, transactionDate: "20221131155745")
        #expect(bad.paidAt == nil)
    }
}

@Suite struct B2CResultCodeTests {
    @Test func onlyZeroIsSuccess() {
        #expect(B2CResultCode.meaning(of: DarajaCode(0)) == .success)
        #expect(B2CResultCode.meaning(of: "00000000") == .notUnderstood)
    }

    @Test func twoThousandOneMeansBadInitiatorNotWrongPin() {
        #expect(B2CResultCode.meaning(of: "2001") == .failed(.invalidInitiatorInformation))
        #expect(StkResultCode.meaning(of: "2001") == .finalFailure(.wrongPin))
    }

    @Test(arguments: [
        "1", "2", "3", "4", "5", "6", "7", "8", "11", "12", "13", "14", "17", "20", "21", "26", "2001", "2006",
        "2028", "2040", "8006", "SFC_IC0003",
    ])
    func documentedFailures(code: String) {
        guard case .failed(let reason) = B2CResultCode.meaning(of: DarajaCode(code)) else {
            Issue.record("\(code) should be a documented failure")
            return
        }
        // A refund that failed for this reason frees its money; a duplicate (15) is never among these.
        #expect(reason != .duplicateDetected)
        #expect(B2CResultCode.meaning(of: DarajaCode(" \(code)")) == .notUnderstood)
    }

    // 15 "Duplicate detected" may mean an earlier send got through: not a failure that frees the money.
    @Test(arguments: ["R000001", "R000002", "4999", "9", "10", "15", "16", "1032", "", "2040 "])
    func otherCodesAreNotUnderstood(code: String) {
        #expect(B2CResultCode.meaning(of: DarajaCode(code)) == .notUnderstood)
    }

    @Test func everyReasonHasItsOwnExplanation() {
        let stk = Set(StkFailureReason.allCases.map(\.explanation))
        #expect(stk.count == StkFailureReason.allCases.count)
        let b2c = Set(B2CFailureReason.allCases.map(\.explanation))
        #expect(b2c.count == B2CFailureReason.allCases.count)
    }

    @Test func paymentDetailsParseDottedNairobiTime() throws {
        let details = B2CPaymentDetails(
            receipt: "SG722NMVXQ", amount: nil, receiverPartyPublicName: nil, completedDateTime: "06.07.2024 22:48:52",
            recipientIsRegisteredCustomer: true)
        // 22:48:52 in Nairobi is 19:48:52 UTC.
        #expect(try #require(details.completedAt) == Date(timeIntervalSince1970: 1_720_295_332))
    }
}

@Suite struct DarajaSyncAnswerClassTests {
    private func envelope(_ code: String, _ message: String = "") -> DarajaErrorBody {
        .envelope(requestID: nil, errorCode: code, errorMessage: message)
    }

    @Test(arguments: ["404.001.03", "401.002.01", "400.003.01"])
    func tokenInvalid(code: String) {
        for api in DarajaAPI.allCases {
            #expect(
                DarajaSyncAnswerClass.classify(api: api, httpStatus: 404, error: envelope(code))
                    == .tokenInvalid(code: code))
        }
    }

    @Test func throttling() {
        #expect(
            DarajaSyncAnswerClass.classify(
                api: .stkQuery, httpStatus: 500, error: envelope("500.003.02", "System is busy"))
                == .throttled(code: "500.003.02"))
        #expect(
            DarajaSyncAnswerClass.classify(api: .b2c, httpStatus: 500, error: envelope("500.003.03"))
                == .throttled(code: "500.003.03"))
        let fault = DarajaErrorBody.fault(
            faultString: "Spike arrest violation", errorCode: "policies.ratelimit.SpikeArrestViolation")
        #expect(
            DarajaSyncAnswerClass.classify(api: .stkQuery, httpStatus: 500, error: fault)
                == .throttled(code: "policies.ratelimit.SpikeArrestViolation"))
        #expect(
            DarajaSyncAnswerClass.classify(
                api: .stkPush, httpStatus: 429, error: .fault(faultString: nil, errorCode: nil))
                == .throttled(code: "fault"))
        #expect(
            DarajaSyncAnswerClass.classify(api: .stkPush, httpStatus: 429, error: nil) == .throttled(code: "HTTP 429"))
        // Other gateway faults may come after the request reached M-Pesa: no verdict, never "send again".
        let timeout = DarajaErrorBody.fault(
            faultString: "Gateway Timeout", errorCode: "messaging.adaptors.http.flow.GatewayTimeout")
        #expect(
            DarajaSyncAnswerClass.classify(api: .b2c, httpStatus: 504, error: timeout)
                == .serverError(code: "messaging.adaptors.http.flow.GatewayTimeout"))
        let token = DarajaErrorBody.fault(
            faultString: "Invalid access token", errorCode: "keymanagement.service.invalid_access_token")
        #expect(
            DarajaSyncAnswerClass.classify(api: .stkQuery, httpStatus: 401, error: token)
                == .tokenInvalid(code: "keymanagement.service.invalid_access_token"))
    }

    @Test(arguments: [
        "The transaction is being processed", "", "The transaction does not Exist", "Wrong credentials",
    ])
    func queryOverloadedCodeIsAlwaysInFlight(message: String) {
        #expect(
            DarajaSyncAnswerClass.classify(api: .stkQuery, httpStatus: 500, error: envelope("500.001.1001", message))
                == .inFlight(code: "500.001.1001"))
    }

    @Test func overloadedCodeOutsideTheQueryIsNotInFlight() {
        #expect(
            DarajaSyncAnswerClass.classify(
                api: .stkPush, httpStatus: 500, error: envelope("500.001.1001", "Merchant does not exist"))
                == .serverError(code: "500.001.1001"))
    }

    @Test func duplicateOriginatorConversationIDOnlyOnB2C() {
        #expect(
            DarajaSyncAnswerClass.classify(
                api: .b2c, httpStatus: 500, error: envelope("500.002.1001", "Duplicate OriginatorConversationID."))
                == .duplicateOriginatorConversationID)
        #expect(
            DarajaSyncAnswerClass.classify(api: .stkQuery, httpStatus: 500, error: envelope("500.002.1001"))
                == .serverError(code: "500.002.1001"))
    }

    @Test func badRequestNamesTheField() {
        #expect(
            DarajaSyncAnswerClass.classify(
                api: .stkPush, httpStatus: 400, error: envelope("400.002.02", "Bad Request - Invalid PhoneNumber"))
                == .badRequest(field: "PhoneNumber"))
        #expect(
            DarajaSyncAnswerClass.classify(
                api: .b2c, httpStatus: 400,
                error: envelope("400.002.02", "Bad Request - Invalid RecieverIdentifierType"))
                == .badRequest(field: "RecieverIdentifierType"))
        #expect(
            DarajaSyncAnswerClass.classify(api: .stkPush, httpStatus: 400, error: envelope("400.002.02", "Bad Request"))
                == .badRequest(field: nil))
    }

    @Test func serverErrorsAndTheRest() {
        #expect(
            DarajaSyncAnswerClass.classify(api: .stkQuery, httpStatus: 500, error: envelope("500.003.1001"))
                == .serverError(code: "500.003.1001"))
        #expect(
            DarajaSyncAnswerClass.classify(api: .stkQuery, httpStatus: 503, error: nil)
                == .serverError(code: "HTTP 503"))
        #expect(
            DarajaSyncAnswerClass.classify(api: .stkPush, httpStatus: 404, error: envelope("404.001.01"))
                == .notUnderstood(code: "404.001.01"))
        #expect(
            DarajaSyncAnswerClass.classify(api: .oauth, httpStatus: 400, error: envelope("400.008.01"))
                == .notUnderstood(code: "400.008.01"))
        #expect(
            DarajaSyncAnswerClass.classify(api: .stkQuery, httpStatus: 200, error: nil)
                == .notUnderstood(code: "HTTP 200"))
    }
}

@Suite struct EastAfricaTimeDarajaTextTests {
    @Test func compactTimestampIsUTCPlusThree() throws {
        let date = try #require(ISO8601DateFormatter().date(from: "2026-09-23T17:19:33Z"))
        #expect(EastAfricaTime.compactTimestamp(date) == "20260923201933")
        // Crossing midnight and a year boundary.
        let newYear = try #require(ISO8601DateFormatter().date(from: "2025-12-31T22:30:00Z"))
        #expect(EastAfricaTime.compactTimestamp(newYear) == "20260101013000")
        #expect(EastAfricaTime.compactTimestamp(Date(timeIntervalSince1970: 0.999)) == "19700101030000")
    }

    @Test func compactRoundTripsAndRefusesInvalidDates() throws {
        let date = try #require(EastAfricaTime.date(compact: "20240229235959"))
        #expect(EastAfricaTime.compactTimestamp(date) == "20240229235959")
        for bad in [
            "20230229000000", "20241301000000", "20240100000000", "20240101240000", "2024010100000", "2024010100000x",
        ] {
            #expect(EastAfricaTime.date(compact: bad) == nil, "\(bad)")
        }
    }

    @Test func dottedForm() throws {
        let date = try #require(EastAfricaTime.date(dotted: "01.01.2026 00:00:00"))
        #expect(EastAfricaTime.compactTimestamp(date) == "20260101000000")
        #expect(date == Date(timeIntervalSince1970: 1_767_214_800))
        #expect(EastAfricaTime.date(dotted: "2026-01-01 00:00:00") == nil)
        #expect(EastAfricaTime.date(dotted: "31.04.2026 00:00:00") == nil)
    }
}
