import Daraja
import ReconCore
import Testing

@Suite struct SyncResponseTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func stkPushAccepted() throws {
        let body = """
            {"MerchantRequestID":"f1e2-4b95-a71d-b30d3cdbb7a7942864",
            "CheckoutRequestID":"ws_CO_17112022155730304796440427","ResponseCode":"0",
            "ResponseDescription":"Success. Request accepted for processing","CustomerMessage":"Success. Request accepted for processing"}
            """
        let accepted = try StkPushAccepted(json: bytes(body))
        #expect(accepted.checkoutRequestID == "ws_CO_17112022155730304796440427")
        #expect(accepted.merchantRequestID == "f1e2-4b95-a71d-b30d3cdbb7a7942864")
        #expect(accepted.responseCode == "0")
        #expect(accepted.responseDescription == "Success. Request accepted for processing")
        let numeric = try StkPushAccepted(json: bytes(#"{"CheckoutRequestID":"ws_CO_1","ResponseCode":0}"#))
        #expect(numeric.responseCode == "0")
    }

    @Test func stkPushNotAcceptedOrIncomplete() {
        let rejected = #expect(throws: DarajaError.self) {
            try StkPushAccepted(json: bytes(#"{"CheckoutRequestID":"ws_CO_1","ResponseCode":"1"}"#))
        }
        #expect(rejected?.code == .notAccepted)
        let missing = #expect(throws: DarajaError.self) {
            try StkPushAccepted(json: bytes(#"{"MerchantRequestID":"m","ResponseCode":"0"}"#))
        }
        #expect(missing?.field == "CheckoutRequestID")
        #expect(throws: DarajaError.self) {
            try StkPushAccepted(json: bytes(#"{"requestId":"1","errorCode":"400.002.02","errorMessage":"x"}"#))
        }
    }

    @Test func queryAnswersThroughTheTables() {
        let cancelled = """
            {"ResponseCode":"0","ResponseDescription":"The service request has been accepted successsfully",
            "MerchantRequestID":"22205-34066-1","CheckoutRequestID":"ws_CO_13012021093521236557",
            "ResultCode":"1032","ResultDesc":"Request cancelled by user."}
            """
        #expect(
            StkQueryResponse.answer(httpStatus: 200, body: bytes(cancelled))
                == .failed(code: "1032", reason: .cancelledByUser, description: "Request cancelled by user."))
        let paid = #"{"ResponseCode":0,"ResultCode":0,"ResultDesc":"The service request is processed successfully."}"#
        #expect(StkQueryResponse.answer(httpStatus: 200, body: bytes(paid)) == .paid(nil))
        let processing =
            #"{"ResponseCode":"0","ResultCode":"4999","ResultDesc":"The transaction is still under processing"}"#
        #expect(StkQueryResponse.answer(httpStatus: 200, body: bytes(processing)) == .inFlight(code: "4999"))
        let odd = #"{"ResponseCode":"0","ResultCode":"1001","ResultDesc":"Unable to lock subscriber"}"#
        guard case .notUnderstood = StkQueryResponse.answer(httpStatus: 200, body: bytes(odd)) else {
            Issue.record("1001 must need review")
            return
        }
    }

    @Test(arguments: ["The transaction is being processed", "", "The transaction does not Exist"])
    func queryOverloadedErrorIsInFlight(message: String) {
        let body = #"{"requestId":"ws_CO_1","errorCode":"500.001.1001","errorMessage":"\#(message)"}"#
        #expect(StkQueryResponse.answer(httpStatus: 500, body: bytes(body)) == .inFlight(code: "500.001.1001"))
    }

    @Test func queryErrorsClassified() {
        let spike = """
            {"fault":{"faultstring":"Spike arrest violation. Allowed rate : 5ps",
            "detail":{"errorcode":"policies.ratelimit.SpikeArrestViolation"}}}
            """
        #expect(
            StkQueryResponse.answer(httpStatus: 500, body: bytes(spike))
                == .throttled(code: "policies.ratelimit.SpikeArrestViolation"))
        let quota =
            #"{"fault":{"faultstring":"Rate limit quota violation","detail":{"errorcode":"policies.ratelimit.QuotaViolation"}}}"#
        #expect(
            StkQueryResponse.answer(httpStatus: 429, body: bytes(quota))
                == .throttled(code: "policies.ratelimit.QuotaViolation"))
        let busy = #"{"requestId":"","errorCode":"500.003.02","errorMessage":"Error Occurred: Spike Arrest Violation"}"#
        #expect(StkQueryResponse.answer(httpStatus: 500, body: bytes(busy)) == .throttled(code: "500.003.02"))
        let token = #"{"requestId":"27746-3661277-1","errorCode":"404.001.03","errorMessage":"Invalid Access Token"}"#
        #expect(StkQueryResponse.answer(httpStatus: 404, body: bytes(token)) == .tokenInvalid(code: "404.001.03"))
        let serverFault = #"{"errorCode":"500.003.1001","errorMessage":"Internal Server Error"}"#
        guard case .transportFailure = StkQueryResponse.answer(httpStatus: 500, body: bytes(serverFault)) else {
            Issue.record("a server error is no answer")
            return
        }
        guard case .transportFailure = StkQueryResponse.answer(httpStatus: 502, body: bytes("<html>Bad gateway</html>"))
        else {
            Issue.record("a gateway page is no answer")
            return
        }
        let badRequest = #"{"errorCode":"400.002.02","errorMessage":"Bad Request - Invalid CheckoutRequestID"}"#
        guard case .notUnderstood(let text) = StkQueryResponse.answer(httpStatus: 400, body: bytes(badRequest)) else {
            Issue.record("a bad request needs a person")
            return
        }
        #expect(text.contains("CheckoutRequestID"))
        guard case .notUnderstood = StkQueryResponse.answer(httpStatus: 200, body: bytes("garbage")) else {
            Issue.record("garbage with 200 needs a person")
            return
        }
        guard case .notUnderstood = StkQueryResponse.answer(httpStatus: 200, body: bytes(#"{"ResponseCode":"0"}"#))
        else {
            Issue.record("no ResultCode needs a person")
            return
        }
    }

    @Test func errorBodies() throws {
        #expect(
            try DarajaErrorBody(json: bytes(#"{"errorCode":"404.001.03","errorMessage":"Invalid Access Token"}"#))
                == .envelope(requestID: nil, errorCode: "404.001.03", errorMessage: "Invalid Access Token"))
        #expect(
            try DarajaErrorBody(json: bytes(#"{"requestId":"1c5b-4ba8","errorCode":"500.001.1001"}"#))
                == .envelope(requestID: "1c5b-4ba8", errorCode: "500.001.1001", errorMessage: ""))
        #expect(
            try DarajaErrorBody(json: bytes(#"{"fault":{"faultstring":"x"}}"#))
                == .fault(faultString: "x", errorCode: nil))
        #expect(throws: DarajaError.self) { try DarajaErrorBody(json: bytes(#"{"ResponseCode":"0"}"#)) }
        #expect(
            DarajaSyncAnswerClass.classify(
                api: .b2c, httpStatus: 500,
                body: bytes(#"{"errorCode":"500.002.1001","errorMessage":"Duplicate OriginatorConversationID."}"#))
                == .duplicateOriginatorConversationID)
    }

    @Test func oauthTokenWithStringOrNumberExpiry() throws {
        let string = try OAuthToken(
            json: bytes(#"{"access_token":"c9SQxWWhmdVRlyh0zh8gZDTkubVF","expires_in":"3599"}"#))
        #expect(string.accessToken == "c9SQxWWhmdVRlyh0zh8gZDTkubVF")
        #expect(string.expiresIn == 3599)
        let number = try OAuthToken(json: bytes(#"{"access_token":"abc","expires_in":3599}"#))
        #expect(number.expiresIn == 3599)
        #expect(!"\(string)".contains("c9SQ"))
        #expect(!String(reflecting: string).contains("c9SQ"))
        for body in [
            #"{"expires_in":"3599"}"#, #"{"access_token":"","expires_in":"3599"}"#, #"{"access_token":"a"}"#,
            #"{"access_token":"a","expires_in":"soon"}"#, #"{"access_token":"a","expires_in":-1}"#,
            #"{"access_token":"a","expires_in":3599.5}"#,
        ] {
            #expect(throws: DarajaError.self, "\(body)") { try OAuthToken(json: bytes(body)) }
        }
    }

    @Test func b2cAccepted() throws {
        let body = """
            {"ConversationID":"AG_20191219_00005797af5d7d75f652","OriginatorConversationID":"16740-34861180-1",
            "ResponseCode":"0","ResponseDescription":"Accept the service request successfully."}
            """
        let accepted = try B2CAccepted(json: bytes(body))
        #expect(accepted.conversationID == "AG_20191219_00005797af5d7d75f652")
        #expect(accepted.originatorConversationID == "16740-34861180-1")
        #expect(accepted.responseDescription == "Accept the service request successfully.")
        let error = #expect(throws: DarajaError.self) {
            try B2CAccepted(json: bytes(#"{"ConversationID":"AG_1","ResponseCode":"1"}"#))
        }
        #expect(error?.code == .notAccepted)
    }
}
