import Daraja
import Foundation
import ReconCore
import Testing

/// B2C and Transaction Status result fixtures in the shapes of DARAJA.md §5 and §7.
enum ResultFixtures {
    static let b2cSuccessArray = #"""
        {"Result":{"ResultType":0,"ResultCode":0,"ResultDesc":"The service request is processed successfully.",
        "OriginatorConversationID":"5f3c1a2e-8d4b-4c6a-9e1f-0a2b3c4d5e6f","ConversationID":"AG_20240706_20106ec3b0e1",
        "TransactionID":"SG722NMVXQ","ResultParameters":{"ResultParameter":[
        {"Key":"ReceiverPartyPublicName","Value":"254712345678 - JOHN NG'ANG'A"},
        {"Key":"TransactionAmount","Value":10},{"Key":"TransactionReceipt","Value":"SG722NMVXQ"},
        {"Key":"B2CRecipientIsRegisteredCustomer","Value":"Y"},
        {"Key":"B2CChargesPaidAccountAvailableFunds","Value":-4510.00},
        {"Key":"TransactionCompletedDateTime","Value":"06.07.2024 22:48:52"},
        {"Key":"B2CUtilityAccountAvailableFunds","Value":10116.00},
        {"Key":"B2CWorkingAccountAvailableFunds","Value":900000.00}]},
        "ReferenceData":{"ReferenceItem":{"Key":"QueueTimeoutURL",
        "Value":"http:\/\/internalapi.safaricom.co.ke\/mpesa\/b2cresults\/v1\/submit"}}}}
        """#

    static let b2cSuccessSingleObject = #"""
        {"Result":{"ResultType":"0","ResultCode":"0","ResultDesc":"ok","OriginatorConversationID":"oc-1",
        "ConversationID":"AG_1","TransactionID":"MJO61H754M",
        "ResultParameters":{"ResultParameter":{"Key":"TransactionAmount","Value":"250.50"}},
        "ReferenceData":{"ReferenceItem":[{"Key":"QueueTimeoutURL","Value":"https://internalsandbox.example"},
        {"Key":"Occassion"}]}}}
        """#

    static func b2cFailure(code: String) -> String {
        #"""
        {"Result":{"ResultType":0,"ResultCode":\#(code),
        "ResultDesc":"The initiator information is invalid.","OriginatorConversationID":"oc-2",
        "ConversationID":"AG_2","TransactionID":"SBQ72IFPXT",
        "ReferenceData":{"ReferenceItem":{"Key":"QueueTimeoutURL","Value":"https://x"}}}}
        """#
    }

    /// v1 style: spaced keys, FinalisedTime as a number, Amount as a number.
    static let statusV1 = #"""
        {"Result":{"ResultType":0,"ResultCode":0,"ResultDesc":"The service request has been accepted successfully.",
        "OriginatorConversationID":"10816-694520-2","ConversationID":"AG_20170727_000059c52529a8e080bd",
        "TransactionID":"LGR0000000","ResultParameters":{"ResultParameter":[
        {"Key":"ReceiptNo","Value":"LGR919G2AV"},{"Key":"Conversation ID","Value":"AG_20170727_00004492b1b6d0078fbe"},
        {"Key":"FinalisedTime","Value":20170727101415},{"Key":"Amount","Value":10},
        {"Key":"TransactionStatus","Value":"Completed"},{"Key":"ReasonType","Value":"Salary Payment via API"},
        {"Key":"TransactionReason"},{"Key":"DebitPartyCharges","Value":"Fee For B2C Payment|KES|33.00"},
        {"Key":"DebitAccountType","Value":"Utility Account"},{"Key":"InitiatedTime","Value":20170727101415},
        {"Key":"Originator Conversation ID","Value":"19455-773836-1"},
        {"Key":"CreditPartyName","Value":"254708374149 - John Doe"},
        {"Key":"DebitPartyName","Value":"600134 - Safaricom157"},
        {"Key":"DebitPartyName","Value":"600134 - Safaricom157 Utility"}]},
        "ReferenceData":{"ReferenceItem":{"Key":"Occasion","Value":"refund 42"}}}}
        """#

    /// v3 style: Amount as a string, FinalizedTime spelling, unspaced keys, string ResultCode.
    static let statusV3 = #"""
        {"Result":{"ResultType":"0","ResultCode":"0","ResultDesc":"ok","OriginatorConversationID":"q-1",
        "ConversationID":"AG_q","TransactionID":"MBN0000000","ResultParameters":{"ResultParameter":[
        {"Key":"TransactionStatus","Value":"Completed"},{"Key":"Amount","Value":"300"},
        {"Key":"OriginatorConversationID","Value":"5f3c1a2e"},{"Key":"ConversationID","Value":"AG_x"},
        {"Key":"FinalizedTime","Value":"20240706224852"},{"Key":"ReceiptNo","Value":"SG722NMVXQ"}]}}}
        """#
}

@Suite struct B2CResultTests {
    @Test func successArrayForm() throws {
        let result = try B2CResult(json: Array(ResultFixtures.b2cSuccessArray.utf8))
        #expect(result.originatorConversationID == "5f3c1a2e-8d4b-4c6a-9e1f-0a2b3c4d5e6f")
        #expect(result.conversationID == "AG_20240706_20106ec3b0e1")
        guard case .succeeded(let details) = result.answer else {
            Issue.record("expected success, got \(result.answer)")
            return
        }
        #expect(details.amount == Money(minorUnits: 1000))
        #expect(details.receipt == "SG722NMVXQ")
        #expect(details.receiverPartyPublicName == "254712345678 - JOHN NG'ANG'A")
        #expect(details.completedDateTime == "06.07.2024 22:48:52")
        #expect(details.completedAt == Date(timeIntervalSince1970: 1_720_295_332))
        #expect(details.recipientIsRegisteredCustomer == true)
        #expect(result.parameters.count == 8)
        #expect(result.parameters.first { $0.key == "B2CChargesPaidAccountAvailableFunds" }?.value == "-4510.00")
        #expect(
            result.referenceItems == [
                ResultParameter(
                    key: "QueueTimeoutURL", value: "http://internalapi.safaricom.co.ke/mpesa/b2cresults/v1/submit")
            ])
    }

    @Test func successSingleObjectParameterAndReferenceArray() throws {
        let result = try B2CResult(json: Array(ResultFixtures.b2cSuccessSingleObject.utf8))
        #expect(
            result.answer
                == .succeeded(
                    B2CPaymentDetails(
                        receipt: nil, amount: Money(minorUnits: 25_050), receiverPartyPublicName: nil,
                        completedDateTime: nil, recipientIsRegisteredCustomer: nil)))
        #expect(result.referenceItems.count == 2)
        #expect(result.referenceItems[1] == ResultParameter(key: "Occassion", value: nil))
    }

    @Test func failureWithReceiptLookingTransactionIDIsNotSuccess() throws {
        let result = try B2CResult(json: Array(ResultFixtures.b2cFailure(code: "2001").utf8))
        #expect(result.transactionID == "SBQ72IFPXT")
        #expect(
            result.answer
                == .failed(
                    code: "2001", reason: .invalidInitiatorInformation,
                    description: "The initiator information is invalid."))
        #expect(result.parameters.isEmpty)
    }

    @Test(arguments: ["\"R000001\"", "9", "\"00\"", "4999"])
    func unknownCodesAreNotUnderstood(code: String) throws {
        let result = try B2CResult(json: Array(ResultFixtures.b2cFailure(code: code).utf8))
        guard case .notUnderstood = result.answer else {
            Issue.record("\(code) must need review, got \(result.answer)")
            return
        }
    }

    @Test func resultTypeOtherThanZeroIsNotFinal() throws {
        let body = ResultFixtures.b2cSuccessArray.replacingOccurrences(of: #""ResultType":0"#, with: #""ResultType":1"#)
        let result = try B2CResult(json: Array(body.utf8))
        #expect(result.resultType == "1")
        guard case .notUnderstood = result.answer else {
            Issue.record("ResultType 1 is not a final success, got \(result.answer)")
            return
        }
    }

    @Test func invalidBodiesThrow() {
        let missingOriginator = #"{"Result":{"ResultCode":0,"ResultDesc":"x"}}"#
        let error = #expect(throws: DarajaError.self) { try B2CResult(json: Array(missingOriginator.utf8)) }
        #expect(error?.field == "OriginatorConversationID")
        let inexact = ResultFixtures.b2cSuccessArray.replacingOccurrences(
            of: #""TransactionAmount","Value":10"#, with: #""TransactionAmount","Value":10.005"#)
        #expect(throws: DarajaError.self) { try B2CResult(json: Array(inexact.utf8)) }
        for body in ["", "[]", #"{"Result":[]}"#, #"{"result":{}}"#, #"{"Result":{"OriginatorConversationID":"x"}}"#] {
            #expect(throws: DarajaError.self, "\(body)") { try B2CResult(json: Array(body.utf8)) }
        }
    }
}

@Suite struct TransactionStatusResultTests {
    @Test func v1SpacedKeys() throws {
        let result = try TransactionStatusResult(json: Array(ResultFixtures.statusV1.utf8))
        #expect(result.resultCode == "0")
        #expect(result.resultCodeMeaning == .success)
        #expect(result.transactionStatus == "Completed")
        #expect(result.receiptNo == "LGR919G2AV")
        #expect(result.amount == Money(minorUnits: 1000))
        #expect(result.queriedOriginatorConversationID == "19455-773836-1")
        #expect(result.queriedConversationID == "AG_20170727_00004492b1b6d0078fbe")
        #expect(result.originatorConversationID == "10816-694520-2")
        #expect(result.transactionID == "LGR0000000")
        #expect(result.finalisedTime == "20170727101415")
        #expect(result.finalisedAt == EastAfricaTime.date(compact: "20170727101415"))
        #expect(result.finalisedAt != nil)
        #expect(result.debitPartyNames == ["600134 - Safaricom157", "600134 - Safaricom157 Utility"])
        #expect(result.reasonType == "Salary Payment via API")
        #expect(result.parameters.contains(ResultParameter(key: "TransactionReason", value: nil)))
        #expect(result.referenceItems == [ResultParameter(key: "Occasion", value: "refund 42")])
    }

    @Test func v3StringAmountAndFinalizedSpelling() throws {
        let result = try TransactionStatusResult(json: Array(ResultFixtures.statusV3.utf8))
        #expect(result.amount == Money(minorUnits: 30_000))
        #expect(result.finalisedTime == "20240706224852")
        #expect(result.queriedOriginatorConversationID == "5f3c1a2e")
        #expect(result.queriedConversationID == "AG_x")
        #expect(result.receiptNo == "SG722NMVXQ")
    }

    @Test func failedQueryKeepsItsMeaning() throws {
        let body =
            #"{"Result":{"ResultType":0,"ResultCode":2001,"ResultDesc":"The initiator information is invalid."}}"#
        let result = try TransactionStatusResult(json: Array(body.utf8))
        #expect(result.resultCodeMeaning == .failed(.invalidInitiatorInformation))
        #expect(result.transactionStatus == nil)
        #expect(result.amount == nil)
    }
}

@Suite struct QueueTimeoutNoticeTests {
    @Test func idsAtTopLevelOrUnderResult() throws {
        let top = try QueueTimeoutNotice(json: Array(#"{"OriginatorConversationID":"oc-9","x":[1,{"y":null}]}"#.utf8))
        #expect(top.originatorConversationID == "oc-9")
        #expect(top.conversationID == nil)
        let nested = try QueueTimeoutNotice(
            json: Array(
                #"{"Result":{"ResultCode":"SVC0001","ConversationID":"AG_9","OriginatorConversationID":"oc-8"}}"#.utf8))
        #expect(nested.originatorConversationID == "oc-8")
        #expect(nested.conversationID == "AG_9")
        let spaced = try QueueTimeoutNotice(json: Array(#"{"originator conversation id":12345}"#.utf8))
        #expect(spaced.originatorConversationID == "12345")
    }

    @Test(arguments: ["{}", "[]", "null", "\"timeout\"", "7", #"{"Result":"timeout"}"#, #"{"Result":{"a":{}}}"#])
    func anyJSONShapeIsAccepted(body: String) throws {
        let notice = try QueueTimeoutNotice(json: Array(body.utf8))
        #expect(notice.originatorConversationID == nil)
        #expect(notice.conversationID == nil)
    }

    @Test(arguments: ["", "<html>504 Gateway Timeout</html>", "{", "OriginatorConversationID=oc-1"])
    func nonJSONIsAnError(body: String) {
        let error = #expect(throws: DarajaError.self) { try QueueTimeoutNotice(json: Array(body.utf8)) }
        #expect(error?.code == .malformedJSON)
    }
}
