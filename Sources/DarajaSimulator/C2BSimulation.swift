import Crypto
public import Foundation
import Hummingbird
import ReconCore
import ReconHTTP

/// How the payer's number appears in a C2B body (C2B-PULL.md §4).
public enum C2BMSISDNForm: String, Sendable, Codable, CaseIterable {
    /// `254708374149` (v1 until 2022).
    case full
    /// `2547 ***** 126` (v2).
    case masked
    /// SHA-256 hex of `2547XXXXXXXX` (v1 since 2023).
    case hashed
    /// The hash with its middle masked (a 2024 till capture).
    case hashedMasked
}

/// A paybill or a till (buy goods).
public enum C2BPaymentKind: String, Sendable, Codable {
    /// `Pay Bill` with the account the payer typed.
    case paybill
    /// `Customer Merchant Payment` with an empty BillRefNumber.
    case till
}

/// A payment a customer makes from the SIM menu (`/sim/c2b/pay`).
public struct C2BPaymentRequest: Sendable, Codable, Equatable {
    /// The shortcode paid; the simulator's paybill (or till) when `nil`.
    public var shortcode: String?
    /// The payer's number, `2547XXXXXXXX`.
    public var phone: String
    /// The payer's first name as registered (upper case).
    public var firstName: String
    /// Whole shillings.
    public var amount: Int
    /// What the payer typed as the account (ignored for a till).
    public var billRef: String
    public var kind: C2BPaymentKind
    public var msisdnForm: C2BMSISDNForm
    /// How the confirmation reaches the merchant: once, late, twice or lost.
    public var delivery: CallbackDelivery
    /// When the payment happened (a past time for a backdated test); now when `nil`.
    public var at: Date?

    /// A payment.
    public init(
        shortcode: String? = nil, phone: String, firstName: String = "WANJIKU", amount: Int, billRef: String,
        kind: C2BPaymentKind = .paybill, msisdnForm: C2BMSISDNForm = .masked, delivery: CallbackDelivery = .once,
        at: Date? = nil
    ) {
        self.shortcode = shortcode
        self.phone = phone
        self.firstName = firstName
        self.amount = amount
        self.billRef = billRef
        self.kind = kind
        self.msisdnForm = msisdnForm
        self.delivery = delivery
        self.at = at
    }
}

/// What happened to a SIM-menu payment.
public struct C2BPaymentResult: Sendable, Codable, Equatable {
    /// The receipt when money moved.
    public var receipt: String?
    /// `paid`, `rejected` (validation said no) or `cancelled` (validation did not answer and ResponseType is
    /// Cancelled).
    public var outcome: String
    /// What validation answered (`0`, `C2B00012`, …), `timeout`, or `off`.
    public var validation: String
}

/// C2B behaviour of the simulator.
public struct C2BSimSettings: Sendable, Codable, Equatable {
    /// Whether Safaricom calls the validation URL for registered shortcodes (off by default, as at Safaricom).
    public var validationEnabled = false
    /// How long M-Pesa waits for a validation answer, in milliseconds (about 8 s at Safaricom).
    public var validationTimeoutMs = 8_000
    /// The RegisterURL version this Daraja app's API product holds; the other answers `401.003.01`.
    public var appVersion = "v2"
    /// Transactions per Pull page.
    public var pullPageSize = 100
    /// Whether Pull answers carry `TotalPages` (undocumented).
    public var pullTotalPages = false
    /// Whether a paid STK Push on a paybill with C2B URLs also posts a C2B confirmation (seen in production).
    public var stkEchoToC2B = false
    /// Delay of a confirmation after the payment, in milliseconds.
    public var confirmationDelayMs = 50

    /// The defaults.
    public init() {}
}

/// One C2B payment as it really happened.
public struct LedgerC2BPayment: Sendable, Codable, Equatable {
    public var receipt: String
    public var shortcode: String
    public var phone: String
    public var firstName: String
    public var amount: Int
    public var billRef: String
    public var kind: C2BPaymentKind
    public var msisdnForm: C2BMSISDNForm
    public var delivery: CallbackDelivery
    public var completedAt: Date
    /// `paid`, `rejected` or `cancelled`; only `paid` moved money.
    public var outcome: String
    public var validation: String
    public var confirmationsDelivered: Int
}

/// A shortcode's registered C2B URLs.
struct C2BRegistration: Sendable {
    var version: String
    var responseType: String
    var confirmationURL: String
    var validationURL: String
}

extension SimulatorState {
    func setC2BSettings(_ settings: C2BSimSettings) { c2bSettings = settings }

    func recordC2BDelivery(receipt: String) {
        if let index = c2bPayments.lastIndex(where: { $0.receipt == receipt }) {
            c2bPayments[index].confirmationsDelivered += 1
        }
    }

    // MARK: RegisterURL

    func registerC2B(_ fields: Fields, version: String) -> SimAnswer {
        guard version == c2bSettings.appVersion else {
            return .envelope(
                401, code: "401.003.01",
                message: "Error Occurred - Invalid Access Token - Invalid API call as no apiproduct match found",
                requestID: requestID())
        }
        guard let shortcode = fields.text("ShortCode"), shortcode.allSatisfy(\.isASCIIDigit), shortcode.count >= 5
        else { return invalid("ShortCode") }
        guard let responseType = fields.text("ResponseType"), ["Completed", "Cancelled"].contains(responseType) else {
            return invalid("ResponseType")
        }
        guard let confirmation = fields.text("ConfirmationURL"), Self.isURL(confirmation) else {
            return invalid("ConfirmationURL")
        }
        guard let validation = fields.text("ValidationURL"), Self.isURL(validation) else {
            return invalid("ValidationURL")
        }
        if c2bRegistrations[shortcode] != nil {
            return .envelope(500, code: "500.003.1001", message: "Urls are already registered", requestID: requestID())
        }
        c2bRegistrations[shortcode] = C2BRegistration(
            version: version, responseType: responseType, confirmationURL: confirmation, validationURL: validation)
        // The key really is spelled without the n; v1 answers a lower-case "success".
        return .json(
            200,
            [
                "OriginatorCoversationID":
                    "\(randomString(5, alphabet: "0123456789"))-\(randomString(8, alphabet: "0123456789"))-1",
                "ResponseCode": "0", "ResponseDescription": version == "v1" ? "success" : "Success",
            ])
    }

    // MARK: SIM-menu payments

    /// A payment about to happen: its receipt, and the bodies of its validation and confirmation.
    struct C2BDraft: Sendable {
        var payment: LedgerC2BPayment
        var registration: C2BRegistration?
        var validationBody: [UInt8]
        var confirmationBody: [UInt8]
        var validate: Bool
        var timeout: Duration
    }

    func draftC2B(_ request: C2BPaymentRequest, now: Date) -> C2BDraft {
        let at = request.at ?? now
        let shortcode = request.shortcode ?? configuration.shortcode
        let receipt = newC2BReceipt(at: at)
        let payment = LedgerC2BPayment(
            receipt: receipt, shortcode: shortcode, phone: request.phone, firstName: request.firstName,
            amount: request.amount, billRef: request.kind == .till ? "" : request.billRef, kind: request.kind,
            msisdnForm: request.msisdnForm, delivery: request.delivery, completedAt: at, outcome: "paid",
            validation: "off", confirmationsDelivered: 0)
        let registration = c2bRegistrations[shortcode]
        return C2BDraft(
            payment: payment, registration: registration,
            validationBody: Self.c2bBody(payment, balance: nil),
            confirmationBody: Self.c2bBody(payment, balance: balanceAfter(payment)),
            validate: registration != nil && c2bSettings.validationEnabled,
            timeout: .milliseconds(c2bSettings.validationTimeoutMs))
    }

    /// Records what happened and returns the confirmation deliveries.
    func commitC2B(_ draft: C2BDraft, outcome: String, validation: String) -> [Delivery] {
        var payment = draft.payment
        payment.outcome = outcome
        payment.validation = validation
        c2bPayments.append(payment)
        guard outcome == "paid", let registration = draft.registration else { return [] }
        let delay = c2bSettings.confirmationDelayMs
        let one = Delivery(
            url: registration.confirmationURL, body: draft.confirmationBody, delayMs: delay, checkoutRequestID: nil,
            c2bReceipt: payment.receipt)
        switch payment.delivery {
        case .once: return [one]
        case .late:
            var late = one
            late.delayMs += scenario.lateDelayMs
            return [late]
        case .twice:
            var again = one
            again.delayMs += 20
            return [one, again]
        case .lost: return []
        }
    }

    /// The utility balance after a C2B payment (what `OrgAccountBalance` says): the float plus every paid C2B.
    private func balanceAfter(_ payment: LedgerC2BPayment) -> Int {
        2_500 + payment.amount + c2bPayments.filter { $0.outcome == "paid" }.reduce(0) { $0 + $1.amount }
    }

    /// The confirmation an STK payment also posts to a registered C2B URL, when `stkEchoToC2B` is on.
    func stkEcho(_ transaction: LedgerStkTransaction, delayMs: Int) -> Delivery? {
        guard c2bSettings.stkEchoToC2B, let receipt = transaction.receipt,
            let registration = c2bRegistrations[configuration.shortcode]
        else { return nil }
        let payment = LedgerC2BPayment(
            receipt: receipt, shortcode: configuration.shortcode, phone: transaction.phone, firstName: "WANJIKU",
            amount: transaction.reportedAmount, billRef: transaction.accountReference, kind: .paybill,
            msisdnForm: .masked, delivery: .once, completedAt: transaction.resolvesAt, outcome: "paid",
            validation: "off", confirmationsDelivered: 0)
        return Delivery(
            url: registration.confirmationURL, body: Self.c2bBody(payment, balance: nil), delayMs: delayMs + 30,
            checkoutRequestID: nil)
    }

    /// A body with the captured production shapes: every field a string, no MiddleName or LastName, a till as
    /// `Customer Merchant Payment` with an empty BillRefNumber, the MSISDN in the payment's form.
    static func c2bBody(_ payment: LedgerC2BPayment, balance: Int?) -> [UInt8] {
        let object: [String: any Sendable] = [
            "TransactionType": payment.kind == .till ? "Customer Merchant Payment" : "Pay Bill",
            "TransID": payment.receipt, "TransTime": compactDate(payment.completedAt),
            "TransAmount": "\(payment.amount).00", "BusinessShortCode": payment.shortcode,
            "BillRefNumber": payment.kind == .till ? "" : payment.billRef, "InvoiceNumber": "",
            "OrgAccountBalance": balance.map { "\($0).00" } ?? "", "ThirdPartyTransID": "",
            "MSISDN": msisdnText(payment.phone, form: payment.msisdnForm), "FirstName": payment.firstName,
        ]
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }

    /// The number as the form shows it.
    static func msisdnText(_ phone: String, form: C2BMSISDNForm) -> String {
        switch form {
        case .full: return phone
        case .masked: return "\(phone.prefix(4)) ***** \(phone.suffix(3))"
        case .hashed: return sha256Hex(phone)
        case .hashedMasked:
            let hash = sha256Hex(phone)
            return "\(hash.prefix(34)) ***** \(hash.suffix(25))"
        }
    }

    static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined()
    }

    /// A receipt that follows the date pattern of real TransIDs (C2B-PULL.md §3): year letter (2017 = L), month
    /// letter (A = January), day (1–9, then A = 10 …), then seven characters.
    func newC2BReceipt(at date: Date) -> String {
        let parts = Array(Self.compactDate(date))
        let year = Int(String(parts[0..<4])) ?? 2026
        let month = Int(String(parts[4..<6])) ?? 1
        let day = Int(String(parts[6..<8])) ?? 1
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        let dayCharacters = Array("123456789ABCDEFGHIJKLMNOPQRSTUV")
        let head =
            String(letters[min(25, max(0, 11 + year - 2017))]) + String(letters[max(0, min(11, month - 1))])
            + String(dayCharacters[max(0, min(30, day - 1))])
        while true {
            let receipt = head + randomString(7, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
            if receipts.insert(receipt).inserted { return receipt }
        }
    }

    // MARK: Pull Transactions

    func registerPull(_ fields: Fields) -> SimAnswer {
        guard let shortcode = fields.text("ShortCode"), shortcode.allSatisfy(\.isASCIIDigit) else {
            return invalid("ShortCode")
        }
        guard fields.text("RequestType") == "Pull" else { return invalid("RequestType") }
        guard let number = fields.text("NominatedNumber"), Self.isMSISDN(number) else {
            return invalid("NominatedNumber")
        }
        guard let url = fields.text("CallBackURL"), Self.isURL(url) else { return invalid("CallBackURL") }
        if pullRegistered.contains(shortcode) {
            // The Postman docs' shape: keys with spaces.
            return .json(
                200,
                [
                    "ResponseRefID": requestID(), "Response Status": "1001", "ShortCode": shortcode,
                    "Response Description": "ShortCode already Registered",
                ])
        }
        pullRegistered.insert(shortcode)
        return .json(
            200,
            [
                "ResponseRefID": requestID(), "ResponseStatus": "1000", "ShortCode": shortcode,
                "ResponseDescription": "Shortcode Registered Successfully",
            ])
    }

    /// A page of a shortcode's paid C2B payments in the window (page index semantics), within the last 48 hours;
    /// 1001 for "no records" and for a shortcode never registered alike.
    func pullQuery(_ fields: Fields, now: Date) -> SimAnswer {
        let noData = SimAnswer.json(
            200, ["ResponseCode": "1001", "ResponseMessage": "No records found or Organization Name not available"])
        guard let shortcode = fields.text("ShortCode") else { return invalid("ShortCode") }
        guard let startText = fields.text("StartDate"), let start = EastAfricaTime.date(pull: startText) else {
            return invalid("StartDate")
        }
        guard let endText = fields.text("EndDate"), let end = EastAfricaTime.date(pull: endText), start < end else {
            return invalid("EndDate")
        }
        guard let page = fields.text("OffSetValue").flatMap({ Int($0) }), page >= 0 else {
            return invalid("OffSetValue")
        }
        guard pullRegistered.contains(shortcode) else { return noData }
        let reach = now.addingTimeInterval(-48 * 3600)
        let listed = c2bPayments.filter {
            $0.outcome == "paid" && $0.shortcode == shortcode && $0.completedAt >= start && $0.completedAt <= end
                && $0.completedAt >= reach
        }
        let size = max(1, c2bSettings.pullPageSize)
        let slice = listed.dropFirst(page * size).prefix(size)
        guard !slice.isEmpty else { return noData }
        let items: [[String: any Sendable]] = slice.map { payment in
            [
                "transactionId": payment.receipt, "trxDate": Self.utcText(payment.completedAt),
                "msisdn": Self.msisdnText(payment.phone, form: payment.msisdnForm), "sender": payment.firstName,
                "transactiontype": payment.kind == .till ? "c2b-buy-goods-debit" : "c2b-pay-bill-debit",
                "billreference": payment.billRef, "amount": "\(payment.amount).00",
                "organizationname": "Course Platform",
            ]
        }
        var body: [String: any Sendable] = [
            "ResponseRefID": requestID(), "ResponseCode": "1000", "ResponseMessage": "Success", "Response": [items],
        ]
        if c2bSettings.pullTotalPages { body["TotalPages"] = String((listed.count + size - 1) / size) }
        return .json(200, body)
    }

    /// `2020-08-05T10:13:00Z`.
    static func utcText(_ date: Date) -> String {
        let compact = Array(compactDate(date.addingTimeInterval(-3 * 3600)))
        let part = { (range: Range<Int>) in String(compact[range]) }
        return "\(part(0..<4))-\(part(4..<6))-\(part(6..<8))T\(part(8..<10)):\(part(10..<12)):\(part(12..<14))Z"
    }
}

extension DarajaSimulator {
    /// A customer pays from the SIM menu: validation first when it is enabled (its answer decides; no answer in
    /// time means the registration's ResponseType), then the confirmation as planned. Returns once decided.
    public func c2bPay(_ request: C2BPaymentRequest) async -> C2BPaymentResult {
        let draft = await state.draftC2B(request, now: Date())
        var outcome = "paid"
        var validation = "off"
        if draft.validate, let registration = draft.registration {
            let answer = await poster.exchange(
                url: registration.validationURL, body: draft.validationBody, shortcode: draft.payment.shortcode,
                timeout: draft.timeout)
            if let answer, (200..<300).contains(answer.status),
                let object = (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: Any],
                let code = (object["ResultCode"] as? String) ?? (object["ResultCode"] as? NSNumber)?.stringValue
            {
                validation = code
                if code != "0" { outcome = "rejected" }
            } else {
                validation = "timeout"
                if registration.responseType == "Cancelled" { outcome = "cancelled" }
            }
        }
        let deliveries = await state.commitC2B(draft, outcome: outcome, validation: validation)
        poster.schedule(deliveries, state: state)
        return C2BPaymentResult(
            receipt: outcome == "paid" ? draft.payment.receipt : nil, outcome: outcome, validation: validation)
    }

    /// Sets the C2B behaviour.
    public func setC2BSettings(_ settings: C2BSimSettings) async { await state.setC2BSettings(settings) }

    func addC2BRoutes(_ router: Router<BasicRequestContext>) {
        for version in ["v1", "v2"] {
            router.post("/mpesa/c2b/\(version)/registerurl") { request, _ in
                try await self.handle(request) { body, _ in await self.state.registerC2B(body, version: version) }
            }
        }
        router.post("/mpesa/c2b/v2/simulate") { request, _ in
            try await self.handle(request) { body, _ in
                guard let amount = body.text("Amount").flatMap({ Int($0) }), amount >= 1,
                    let phone = body.text("Msisdn"), SimulatorState.isMSISDN(phone)
                else { return SimAnswer.envelope(400, code: "400.002.02", message: "Bad Request", requestID: "sim") }
                let till = body.text("CommandID") == "CustomerBuyGoodsOnline"
                let result = await self.c2bPay(
                    C2BPaymentRequest(
                        shortcode: body.text("ShortCode"), phone: phone, amount: amount,
                        billRef: body.text("BillRefNumber") ?? "", kind: till ? .till : .paybill))
                return SimAnswer.json(
                    200,
                    [
                        "OriginatorCoversationID": result.receipt ?? "", "ResponseCode": "0",
                        "ResponseDescription": "Accept the service request successfully.",
                    ])
            }
        }
        router.post("/pulltransactions/v1/register") { request, _ in
            try await self.handle(request) { body, _ in await self.state.registerPull(body) }
        }
        router.post("/pulltransactions/v1/query") { request, _ in
            try await self.handle(request) { body, now in await self.state.pullQuery(body, now: now) }
        }
        router.post("/sim/c2b/pay") { request, _ in
            let payment = try Self.decoder.decode(C2BPaymentRequest.self, from: try await Self.bodyData(request))
            return Self.jsonResponse(200, try Self.encoder.encode(await self.c2bPay(payment)))
        }
        router.post("/sim/c2b/settings") { request, _ in
            let settings = try Self.decoder.decode(C2BSimSettings.self, from: try await Self.bodyData(request))
            await self.state.setC2BSettings(settings)
            return Self.jsonResponse(200, Data(#"{"ok":true}"#.utf8))
        }
    }
}
