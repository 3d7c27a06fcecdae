import Foundation
import ReconCore

/// A simulator answer: HTTP status and JSON body bytes.
struct SimAnswer: Sendable {
    var status: Int
    var body: [UInt8]

    static func json(_ status: Int, _ object: [String: any Sendable]) -> SimAnswer {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return SimAnswer(status: status, body: Array(data))
    }

    static func raw(_ status: Int, _ text: String) -> SimAnswer {
        SimAnswer(status: status, body: Array(text.utf8))
    }

    /// Daraja's synchronous error envelope.
    static func envelope(_ status: Int, code: String, message: String, requestID: String) -> SimAnswer {
        json(status, ["requestId": requestID, "errorCode": code, "errorMessage": message])
    }
}

/// A POST the simulator makes to a merchant URL later.
struct Delivery: Sendable {
    var url: String
    var body: [UInt8]
    var delayMs: Int
    /// Which ledger entry counts the delivery.
    var checkoutRequestID: String?
    /// The C2B payment whose confirmation this is, for the ledger's count.
    var c2bReceipt: String? = nil
}

/// Everything the simulator knows: tokens, transactions, payouts, scenario, faults and the ledger.
actor SimulatorState {
    let configuration: SimulatorConfiguration
    var scenario = Scenario()
    var faults = Faults()
    var stkPlans: [StkPlan] = []
    var b2cPlans: [B2COutcome] = []
    var random: SeededGenerator
    private var tokens: [String: Date] = [:]
    private var tokensIssued = 0
    private var stk: [String: LedgerStkTransaction] = [:]
    private var stkOrder: [String] = []
    private var payouts: [String: LedgerPayout] = [:]
    private var payoutOrder: [String] = []
    private var statusQueries: [String: String] = [:]
    var receipts: Set<String> = []
    /// C2B: settings, URL registrations, Pull registrations and every SIM-menu payment.
    var c2bSettings = C2BSimSettings()
    var c2bRegistrations: [String: C2BRegistration] = [:]
    var pullRegistered: Set<String> = []
    var c2bPayments: [LedgerC2BPayment] = []
    private var faultCounts = FaultCounts()
    /// What the next statement exports get wrong on purpose.
    var statementAnomalies = StatementAnomalies()
    /// Spike-arrest allowance left, in requests (a token bucket, see `spikeArrested(limit:now:)`).
    private var allowance = 0.0
    private var allowanceAt = Date.distantPast

    init(configuration: SimulatorConfiguration) {
        self.configuration = configuration
        self.random = SeededGenerator(seed: configuration.seed)
    }

    // MARK: Control

    func reset() {
        scenario = Scenario()
        faults = Faults()
        stkPlans = []
        b2cPlans = []
        random = SeededGenerator(seed: configuration.seed)
        tokens = [:]
        tokensIssued = 0
        stk = [:]
        stkOrder = []
        payouts = [:]
        payoutOrder = []
        statusQueries = [:]
        receipts = []
        c2bSettings = C2BSimSettings()
        c2bRegistrations = [:]
        pullRegistered = []
        c2bPayments = []
        faultCounts = FaultCounts()
        statementAnomalies = StatementAnomalies()
        allowance = 0
        allowanceAt = .distantPast
    }

    func setScenario(_ value: Scenario) { scenario = value }
    func setFaults(_ value: Faults) { faults = value }
    func enqueue(stk plans: [StkPlan]) { stkPlans.append(contentsOf: plans) }
    func enqueue(b2c plans: [B2COutcome]) { b2cPlans.append(contentsOf: plans) }
    func expireTokens() { tokens = [:] }
    func setStatementAnomalies(_ value: StatementAnomalies) { statementAnomalies = value }

    func ledger() -> Ledger {
        Ledger(
            stk: stkOrder.compactMap { stk[$0] }, payouts: payoutOrder.compactMap { payouts[$0] },
            faults: faultCounts, tokensIssued: tokensIssued, c2b: c2bPayments)
    }

    func recordDelivery(checkoutRequestID: String) {
        stk[checkoutRequestID]?.callbacksDelivered += 1
    }

    // MARK: Faults

    /// A fault answer for this request, if one is due; `slowMs` is returned for the caller to sleep.
    func fault(now: Date) -> (answer: SimAnswer?, slowMs: Int) {
        if faults.slowMs > 0 { faultCounts.slowed += 1 }
        if let limit = faults.rateLimitPerSecond {
            if spikeArrested(limit: limit, now: now) {
                faultCounts.spikeArrest += 1
                if faults.apigeeFaultBodies {
                    return (
                        .json(
                            429,
                            [
                                "fault": [
                                    "faultstring":
                                        "Spike arrest violation. Allowed rate : MessageRate{messagesPerPeriod=\(limit), periodInMicroseconds=1000000}",
                                    "detail": ["errorcode": "policies.ratelimit.SpikeArrestViolation"],
                                ] as [String: any Sendable]
                            ]), faults.slowMs
                    )
                }
                return (
                    .envelope(
                        500, code: "500.003.02", message: "Error Occurred: Spike Arrest Violation",
                        requestID: requestID()),
                    faults.slowMs
                )
            }
        }
        if faults.serverErrorPercent > 0, Int.random(in: 0..<100, using: &random) < faults.serverErrorPercent {
            faultCounts.serverErrors += 1
            if Bool.random(using: &random) {
                return (.raw(503, "<html><body>Service Unavailable</body></html>"), faults.slowMs)
            }
            return (
                .envelope(500, code: "500.003.1001", message: "Internal Server Error", requestID: requestID()),
                faults.slowMs
            )
        }
        return (nil, faults.slowMs)
    }

    /// Spike arrest as a token bucket: `limit` requests a second on average, bursts of up to one second's worth.
    ///
    /// A fixed one-second window, opened by whichever request came first, arrested a client keeping exactly to
    /// the rate whenever jitter brought its next request in a fraction of a millisecond early, and let twice the
    /// rate through across a window's edge. The bucket never arrests a client that keeps to the rate or stays
    /// within `limit` in every second, and still arrests any burst above a second's worth and any sustained excess.
    private func spikeArrested(limit: Int, now: Date) -> Bool {
        guard limit > 0 else { return true }
        let rate = Double(limit)
        let refill = max(0, now.timeIntervalSince(allowanceAt)) * rate
        allowance = min(rate, allowance + refill)
        allowanceAt = max(allowanceAt, now)
        guard allowance >= 1 else { return true }
        allowance -= 1
        return false
    }

    /// Cuts a successful body short when the malformed fault fires.
    func maybeMalform(_ answer: SimAnswer) -> SimAnswer {
        guard faults.malformedPercent > 0, answer.status == 200,
            Int.random(in: 0..<100, using: &random) < faults.malformedPercent
        else { return answer }
        faultCounts.malformed += 1
        return SimAnswer(status: 200, body: Array(answer.body.prefix(max(1, answer.body.count / 2))))
    }

    // MARK: OAuth

    func issueToken(authorization: String?, grantType: String?, now: Date) -> SimAnswer {
        let expected = Data("\(configuration.consumerKey):\(configuration.consumerSecret)".utf8).base64EncodedString()
        guard let authorization, authorization.hasPrefix("Basic ") else {
            return .envelope(400, code: "400.008.01", message: "Invalid Authentication passed", requestID: requestID())
        }
        guard authorization.dropFirst(6) == expected else {
            return .envelope(400, code: "400.008.01", message: "Invalid Authentication passed", requestID: requestID())
        }
        guard grantType == "client_credentials" else {
            return .envelope(400, code: "400.008.02", message: "Invalid grant type passed", requestID: requestID())
        }
        let token = randomString(28, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        tokens[token] = now.addingTimeInterval(TimeInterval(faults.tokenLifetimeSeconds))
        tokensIssued += 1
        // Real traffic sends expires_in as a string.
        return .json(200, ["access_token": token, "expires_in": String(faults.tokenLifetimeSeconds)])
    }

    /// `nil` when the bearer token is valid; Daraja's 404 `404.001.03` otherwise.
    func checkToken(_ authorization: String?, now: Date) -> SimAnswer? {
        if let authorization, authorization.hasPrefix("Bearer "),
            let expiry = tokens[String(authorization.dropFirst(7))], expiry > now
        {
            return nil
        }
        faultCounts.invalidToken += 1
        return .envelope(404, code: "404.001.03", message: "Invalid Access Token", requestID: requestID())
    }

    // MARK: STK Push

    func stkPush(_ fields: Fields, now: Date) -> (SimAnswer, [Delivery]) {
        guard let shortcode = fields.text("BusinessShortCode"), shortcode.allSatisfy(\.isASCIIDigit) else {
            return (invalid("BusinessShortCode"), [])
        }
        guard let timestamp = fields.text("Timestamp"), timestamp.count == 14, timestamp.allSatisfy(\.isASCIIDigit)
        else { return (invalid("Timestamp"), []) }
        guard shortcode == configuration.shortcode else {
            return (
                .envelope(500, code: "500.001.1001", message: "Merchant does not exist", requestID: requestID()), []
            )
        }
        let expected = Data("\(shortcode)\(configuration.passkey)\(timestamp)".utf8).base64EncodedString()
        guard fields.text("Password") == expected else {
            return (
                .envelope(
                    500, code: "500.001.1001", message: "[MerchantValidate] - Wrong credentials", requestID: requestID()
                ),
                []
            )
        }
        guard let type = fields.text("TransactionType"),
            type == "CustomerPayBillOnline" || type == "CustomerBuyGoodsOnline"
        else { return (invalid("TransactionType"), []) }
        guard let amountText = fields.text("Amount"), let amount = Int(amountText), (1...250_000).contains(amount)
        else {
            return (invalid("Amount"), [])
        }
        guard let phone = fields.text("PhoneNumber"), Self.isMSISDN(phone) else { return (invalid("PhoneNumber"), []) }
        guard let partyA = fields.text("PartyA"), Self.isMSISDN(partyA) else { return (invalid("PartyA"), []) }
        guard fields.text("PartyB") != nil else { return (invalid("PartyB"), []) }
        guard let callbackURL = fields.text("CallBackURL"), Self.isURL(callbackURL) else {
            return (invalid("CallBackURL"), [])
        }
        guard let reference = fields.text("AccountReference"), (1...12).contains(reference.count) else {
            return (invalid("AccountReference"), [])
        }
        if let description = fields.text("TransactionDesc"), description.count > 13 {
            return (invalid("TransactionDesc"), [])
        }

        let plan = stkPlans.isEmpty ? drawPlan() : stkPlans.removeFirst()
        let checkoutID = checkoutRequestID(phone: phone, now: now)
        let merchantID =
            "\(randomString(4, alphabet: hex))-\(randomString(4, alphabet: hex))-\(randomString(4, alphabet: hex))-\(randomString(18, alphabet: hex))"
        let processing = plan.processingMs ?? scenario.processingMs
        var receipt: String?
        if plan.outcome == .paid { receipt = newReceipt() }
        let transaction = LedgerStkTransaction(
            checkoutRequestID: checkoutID, merchantRequestID: merchantID, phone: phone, amount: amount,
            accountReference: reference, callbackURL: callbackURL, outcome: plan.outcome, delivery: plan.delivery,
            resultCode: plan.outcome.result?.code, receipt: receipt, reportedAmount: plan.reportedAmount ?? amount,
            createdAt: now, resolvesAt: now.addingTimeInterval(TimeInterval(processing) / 1000),
            callbacksDelivered: 0, queries: 0)
        stk[checkoutID] = transaction
        stkOrder.append(checkoutID)

        var deliveries: [Delivery] = []
        if plan.outcome != .neverResolves {
            let body = Array(Self.stkCallbackBody(transaction).utf8)
            let first = processing + scenario.callbackDelayMs
            switch plan.delivery {
            case .once:
                deliveries = [Delivery(url: callbackURL, body: body, delayMs: first, checkoutRequestID: checkoutID)]
            case .late:
                deliveries = [
                    Delivery(
                        url: callbackURL, body: body, delayMs: first + scenario.lateDelayMs,
                        checkoutRequestID: checkoutID)
                ]
            case .twice:
                deliveries = [
                    Delivery(url: callbackURL, body: body, delayMs: first, checkoutRequestID: checkoutID),
                    Delivery(url: callbackURL, body: body, delayMs: first + 20, checkoutRequestID: checkoutID),
                ]
            case .lost:
                deliveries = []
            }
            if let echo = stkEcho(transaction, delayMs: first) { deliveries.append(echo) }
        }
        let answer = SimAnswer.json(
            200,
            [
                "MerchantRequestID": merchantID, "CheckoutRequestID": checkoutID, "ResponseCode": "0",
                "ResponseDescription": "Success. Request accepted for processing",
                "CustomerMessage": "Success. Request accepted for processing",
            ])
        return (answer, deliveries)
    }

    // MARK: STK Query

    func stkQuery(_ fields: Fields, now: Date) -> SimAnswer {
        guard let shortcode = fields.text("BusinessShortCode"), shortcode == configuration.shortcode else {
            return invalid("BusinessShortCode")
        }
        guard let timestamp = fields.text("Timestamp"), timestamp.count == 14 else { return invalid("Timestamp") }
        let expected = Data("\(shortcode)\(configuration.passkey)\(timestamp)".utf8).base64EncodedString()
        guard fields.text("Password") == expected else {
            return .envelope(
                500, code: "500.001.1001", message: "[MerchantValidate] - Wrong credentials", requestID: requestID())
        }
        guard let checkoutID = fields.text("CheckoutRequestID"), var transaction = stk[checkoutID] else {
            return .envelope(
                500, code: "500.001.1001", message: "The transaction does not Exist", requestID: requestID())
        }
        transaction.queries += 1
        stk[checkoutID] = transaction
        guard now >= transaction.resolvesAt, let result = transaction.outcome.result else {
            if Int.random(in: 0..<100, using: &random) < scenario.inFlightEnvelopePercent {
                let message = Bool.random(using: &random) ? "The transaction is being processed" : ""
                return .envelope(500, code: "500.001.1001", message: message, requestID: checkoutID)
            }
            return .json(
                200,
                [
                    "ResponseCode": "0", "ResponseDescription": "The service request has been accepted successsfully",
                    "MerchantRequestID": transaction.merchantRequestID, "CheckoutRequestID": checkoutID,
                    "ResultCode": "4999", "ResultDesc": "The transaction is still under processing",
                ])
        }
        // Like the real API: the final code as a string, and never a receipt.
        return .json(
            200,
            [
                "ResponseCode": "0", "ResponseDescription": "The service request has been accepted successsfully",
                "MerchantRequestID": transaction.merchantRequestID, "CheckoutRequestID": checkoutID,
                "ResultCode": result.code, "ResultDesc": result.description,
            ])
    }

    // MARK: B2C

    func b2c(_ fields: Fields, credentialOK: Bool, now: Date) -> (SimAnswer, [Delivery]) {
        guard let originatorID = fields.text("OriginatorConversationID"), !originatorID.isEmpty else {
            return (invalid("OriginatorConversationID"), [])
        }
        guard fields.text("InitiatorName") != nil else { return (invalid("InitiatorName"), []) }
        guard fields.text("SecurityCredential") != nil else { return (invalid("SecurityCredential"), []) }
        guard let command = fields.text("CommandID"),
            ["BusinessPayment", "SalaryPayment", "PromotionPayment"].contains(command)
        else { return (invalid("CommandID"), []) }
        guard let amountText = fields.text("Amount"), let amount = Int(amountText), amount >= 1 else {
            return (invalid("Amount"), [])
        }
        guard fields.text("PartyA") == configuration.b2cShortcode else { return (invalid("PartyA"), []) }
        guard let partyB = fields.text("PartyB"), Self.isMSISDN(partyB) else { return (invalid("PartyB"), []) }
        guard let remarks = fields.text("Remarks"), (2...100).contains(remarks.count) else {
            return (invalid("Remarks"), [])
        }
        guard let resultURL = fields.text("ResultURL"), Self.isURL(resultURL) else { return (invalid("ResultURL"), []) }
        guard let timeoutURL = fields.text("QueueTimeOutURL"), Self.isURL(timeoutURL) else {
            return (invalid("QueueTimeOutURL"), [])
        }
        if var existing = payouts[originatorID] {
            existing.requests += 1
            payouts[originatorID] = existing
            return (
                .envelope(
                    500, code: "500.002.1001", message: "Duplicate OriginatorConversationID.", requestID: requestID()),
                []
            )
        }
        let conversationID = "AG_\(Self.compactDate(now))_\(randomString(20, alphabet: hex))"
        let credentialsValid = credentialOK && fields.text("InitiatorName") == configuration.initiatorName
        let outcome = b2cPlans.isEmpty ? draw(scenario.b2cOutcomes, default: .paid) : b2cPlans.removeFirst()
        let paid = credentialsValid && outcome != .failed
        let resultCode = !credentialsValid ? "2001" : (outcome == .failed ? "2040" : "0")
        let transactionID = paid ? newReceipt() : nil
        let payout = LedgerPayout(
            originatorConversationID: originatorID, conversationID: conversationID, partyB: partyB, amount: amount,
            outcome: outcome, resultCode: resultCode, paid: paid, transactionID: transactionID, requests: 1,
            resultURL: resultURL, timeoutURL: timeoutURL, createdAt: now)
        payouts[originatorID] = payout
        payoutOrder.append(originatorID)

        var deliveries: [Delivery] = []
        let delay = scenario.b2cResultDelayMs
        switch (credentialsValid, outcome) {
        case (true, .timeoutThenPaid):
            let body = """
                {"Result":{"ResultType":0,"ResultCode":"SVC0403","ResultDesc":"Request timed out in queue",\
                "OriginatorConversationID":"\(originatorID)","ConversationID":"\(conversationID)"}}
                """
            deliveries = [Delivery(url: timeoutURL, body: Array(body.utf8), delayMs: delay)]
        case (true, .paidResultLost):
            deliveries = []
        default:
            deliveries = [
                Delivery(url: resultURL, body: Array(Self.b2cResultBody(payout, now: now).utf8), delayMs: delay)
            ]
        }
        let answer = SimAnswer.json(
            200,
            [
                "ConversationID": conversationID, "OriginatorConversationID": originatorID, "ResponseCode": "0",
                "ResponseDescription": "Accept the service request successfully.",
            ])
        return (answer, deliveries)
    }

    // MARK: Transaction Status

    func transactionStatus(_ fields: Fields, credentialOK: Bool, now: Date) -> (SimAnswer, [Delivery]) {
        guard fields.text("CommandID") == "TransactionStatusQuery" else { return (invalid("CommandID"), []) }
        guard fields.text("Initiator") != nil else { return (invalid("Initiator"), []) }
        guard let resultURL = fields.text("ResultURL"), Self.isURL(resultURL) else { return (invalid("ResultURL"), []) }
        let original = fields.text("OriginalConversationID")
        let receipt = fields.text("TransactionID")
        guard original != nil || receipt != nil else { return (invalid("TransactionID"), []) }
        let queryOriginatorID =
            "\(randomString(5, alphabet: "0123456789"))-\(randomString(8, alphabet: "0123456789"))-1"
        let queryConversationID = "AG_\(Self.compactDate(now))_\(randomString(20, alphabet: hex))"
        let payout = payoutOrder.lazy.compactMap { self.payouts[$0] }.first { payout in
            (original != nil && payout.originatorConversationID == original)
                || (receipt != nil && payout.transactionID == receipt)
        }
        let credentialsValid = credentialOK && fields.text("Initiator") == configuration.initiatorName
        let body: String
        if !credentialsValid {
            body = """
                {"Result":{"ResultType":0,"ResultCode":2001,"ResultDesc":"The initiator information is invalid.",\
                "OriginatorConversationID":"\(queryOriginatorID)","ConversationID":"\(queryConversationID)",\
                "TransactionID":"MBN0000000"}}
                """
        } else if let payout {
            let status = payout.paid ? "Completed" : "Failed"
            body = """
                {"Result":{"ResultType":0,"ResultCode":0,"ResultDesc":"The service request is processed successfully.",\
                "OriginatorConversationID":"\(queryOriginatorID)","ConversationID":"\(queryConversationID)",\
                "TransactionID":"MBN0000000","ResultParameters":{"ResultParameter":[\
                {"Key":"DebitPartyName","Value":"\(configuration.b2cShortcode) - Course Platform"},\
                {"Key":"CreditPartyName","Value":"\(payout.partyB) - Learner"},\
                {"Key":"OriginatorConversationID","Value":"\(payout.originatorConversationID)"},\
                {"Key":"InitiatedTime","Value":\(Self.compactDate(now))},\
                {"Key":"DebitAccountType","Value":"Utility Account"},\
                {"Key":"DebitPartyCharges","Value":"Fee For B2C Payment|KES|22.40"},\
                {"Key":"TransactionReason"},\
                {"Key":"ReasonType","Value":"Business Payment to Customer via API"},\
                {"Key":"TransactionStatus","Value":"\(status)"},\
                {"Key":"FinalisedTime","Value":\(Self.compactDate(now))},\
                {"Key":"Amount","Value":"\(payout.amount)"},\
                {"Key":"ConversationID","Value":"\(payout.conversationID)"},\
                {"Key":"ReceiptNo","Value":"\(payout.transactionID ?? "")"}]},\
                "ReferenceData":{"ReferenceItem":{"Key":"Occasion","Value":"refund"}}}}
                """
        } else {
            // Assumption of the simulator: no captured "not found" result exists in the reference.
            body = """
                {"Result":{"ResultType":0,"ResultCode":"R000002","ResultDesc":"The transaction could not be found",\
                "OriginatorConversationID":"\(queryOriginatorID)","ConversationID":"\(queryConversationID)",\
                "TransactionID":"MBN0000000"}}
                """
        }
        let answer = SimAnswer.json(
            200,
            [
                "OriginatorConversationID": queryOriginatorID, "ConversationID": queryConversationID,
                "ResponseCode": "0", "ResponseDescription": "Accept the service request successfully.",
            ])
        return (answer, [Delivery(url: resultURL, body: Array(body.utf8), delayMs: scenario.b2cResultDelayMs)])
    }

    // MARK: Bodies

    static func stkCallbackBody(_ transaction: LedgerStkTransaction) -> String {
        guard let result = transaction.outcome.result else { return "{}" }
        let head = """
            {"Body":{"stkCallback":{"MerchantRequestID":"\(transaction.merchantRequestID)",\
            "CheckoutRequestID":"\(transaction.checkoutRequestID)","ResultCode":\(result.code),\
            "ResultDesc":"\(result.description)"
            """
        guard transaction.outcome == .paid, let receipt = transaction.receipt else { return head + "}}}" }
        // Shapes as captured in production: Amount with two decimals, Balance without Value, numbers for
        // TransactionDate and PhoneNumber.
        return head + """
            ,"CallbackMetadata":{"Item":[{"Name":"Amount","Value":\(transaction.reportedAmount).00},\
            {"Name":"MpesaReceiptNumber","Value":"\(receipt)"},{"Name":"Balance"},\
            {"Name":"TransactionDate","Value":\(compactDate(transaction.resolvesAt))},\
            {"Name":"PhoneNumber","Value":\(transaction.phone)}]}}}}
            """
    }

    static func b2cResultBody(_ payout: LedgerPayout, now: Date) -> String {
        let head = """
            {"Result":{"ResultType":0,"ResultCode":\(payout.resultCode == "0" ? "0" : payout.resultCode),\
            "ResultDesc":"\(payout.paid ? "The service request is processed successfully." : "The transaction failed")",\
            "OriginatorConversationID":"\(payout.originatorConversationID)","ConversationID":"\(payout.conversationID)",\
            "TransactionID":"\(payout.transactionID ?? "NLJ0000000")"
            """
        guard payout.paid, let receipt = payout.transactionID else {
            return head
                + #","ReferenceData":{"ReferenceItem":{"Key":"QueueTimeoutURL","Value":"https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit"}}}}"#
        }
        return head + """
            ,"ResultParameters":{"ResultParameter":[\
            {"Key":"TransactionAmount","Value":\(payout.amount)},{"Key":"TransactionReceipt","Value":"\(receipt)"},\
            {"Key":"ReceiverPartyPublicName","Value":"\(payout.partyB) - NG'ANG'A LEARNER"},\
            {"Key":"TransactionCompletedDateTime","Value":"\(dottedDate(now))"},\
            {"Key":"B2CUtilityAccountAvailableFunds","Value":10116.00},\
            {"Key":"B2CWorkingAccountAvailableFunds","Value":900000.00},\
            {"Key":"B2CRecipientIsRegisteredCustomer","Value":"Y"},\
            {"Key":"B2CChargesPaidAccountAvailableFunds","Value":-4510.00}]},\
            "ReferenceData":{"ReferenceItem":{"Key":"QueueTimeoutURL","Value":"https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit"}}}}
            """
    }

    // MARK: Helpers

    let hex = "0123456789abcdef"

    func invalid(_ field: String) -> SimAnswer {
        .envelope(400, code: "400.002.02", message: "Bad Request - Invalid \(field)", requestID: requestID())
    }

    func requestID() -> String {
        "\(randomString(4, alphabet: hex))-\(randomString(4, alphabet: hex))-\(randomString(4, alphabet: hex))-\(randomString(18, alphabet: hex))"
    }

    private func drawPlan() -> StkPlan {
        StkPlan(
            outcome: draw(scenario.stkOutcomes, default: .paid), delivery: draw(scenario.deliveries, default: .once))
    }

    private func draw<T: Hashable & CaseIterable>(_ weights: [T: Int], default fallback: T) -> T {
        let ordered = T.allCases.map { ($0, max(0, weights[$0] ?? 0)) }
        let total = ordered.reduce(0) { $0 + $1.1 }
        guard total > 0 else { return fallback }
        var pick = Int.random(in: 0..<total, using: &random)
        for (value, weight) in ordered {
            if pick < weight { return value }
            pick -= weight
        }
        return fallback
    }

    func randomString(_ count: Int, alphabet: String) -> String {
        let characters = Array(alphabet)
        return String((0..<count).map { _ in characters[Int.random(in: 0..<characters.count, using: &random)] })
    }

    func newReceipt() -> String {
        while true {
            let receipt = "T" + randomString(9, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
            if receipts.insert(receipt).inserted { return receipt }
        }
    }

    private func checkoutRequestID(phone: String, now: Date) -> String {
        // ws_CO_ + DDMMYYYYHHmmss + milliseconds (Nairobi time) + the MSISDN without 254, unique.
        var instant = now
        while true {
            let parts = Self.eatParts(instant)
            let id = "ws_CO_\(parts.ddmmyyyy)\(parts.hhmmss)\(parts.millis)\(phone.dropFirst(3))"
            if stk[id] == nil { return id }
            instant = instant.addingTimeInterval(0.001)
        }
    }

    static func isMSISDN(_ text: String) -> Bool {
        text.count == 12 && (text.hasPrefix("2547") || text.hasPrefix("2541")) && text.allSatisfy(\.isASCIIDigit)
    }

    static func isURL(_ text: String) -> Bool {
        (text.hasPrefix("http://") || text.hasPrefix("https://")) && !text.contains(" ") && text.count > 10
    }

    static func eatParts(_ date: Date) -> (ddmmyyyy: String, hhmmss: String, millis: String, yyyymmdd: String) {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) + 3 * 3_600_000
        let seconds = millis / 1000
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = CivilCalendar.date(days: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let time = pad(secondOfDay / 3600, 2) + pad(secondOfDay / 60 % 60, 2) + pad(secondOfDay % 60, 2)
        return (
            pad(day, 2) + pad(month, 2) + pad(year, 4), time, pad(millis % 1000, 3),
            pad(year, 4) + pad(month, 2) + pad(day, 2)
        )
    }

    /// `YYYYMMDDHHmmss` in Nairobi time.
    static func compactDate(_ date: Date) -> String {
        let parts = eatParts(date)
        return parts.yyyymmdd + parts.hhmmss
    }

    /// `DD.MM.YYYY HH:mm:ss` in Nairobi time, as B2C results carry it.
    static func dottedDate(_ date: Date) -> String {
        let parts = eatParts(date)
        let d = Array(parts.ddmmyyyy)
        let t = Array(parts.hhmmss)
        return
            "\(String(d[0...1])).\(String(d[2...3])).\(String(d[4...7])) \(String(t[0...1])):\(String(t[2...3])):\(String(t[4...5]))"
    }
}

/// Request fields the way Daraja tolerates them: strings or numbers, read as text.
struct Fields: Sendable {
    let values: [String: String]

    /// Keeps the scalar members of a JSON object; nested values are not request fields.
    init(_ object: [String: Any]) {
        var values: [String: String] = [:]
        for (key, value) in object {
            switch value {
            case let string as String: values[key] = string
            // Integers print without a fraction; a fractional amount stays visible ("1.5") and fails.
            case let number as NSNumber: values[key] = number.stringValue
            default: continue
            }
        }
        self.values = values
    }

    func text(_ key: String) -> String? { values[key] }
}
