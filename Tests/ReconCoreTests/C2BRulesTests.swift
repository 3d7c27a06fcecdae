import Foundation
import ReconCore
import Testing

@Suite("C2B: payer numbers, references, validation and allocation rules")
struct C2BRulesTests {
    @Test("every MSISDN form of C2B-PULL.md §4 is told apart, and none is taken for another")
    func msisdnForms() throws {
        #expect(PayerMSISDN("254708374149") == .full(try MSISDN(parsing: "254708374149")))
        #expect(PayerMSISDN("2547 ***** 126") == .masked(prefix: "2547", suffix: "126"))
        #expect(PayerMSISDN("25470****149") == .masked(prefix: "25470", suffix: "149"))
        let hash = "94c392c311d522da950619227b3361752a42042db7e1e699b26e628305c68a88"
        #expect(PayerMSISDN(hash) == .hashed(hash))
        #expect(PayerMSISDN(hash.uppercased()) == .hashed(hash))
        #expect(
            PayerMSISDN("ec59ead34e9e674f659b8602d4742a5053 ***** 134b8da0889ccb542bb64bb95")
                == .hashedMasked(prefix: "ec59ead34e9e674f659b8602d4742a5053", suffix: "134b8da0889ccb542bb64bb95"))
        #expect(PayerMSISDN("") == .none)
        #expect(PayerMSISDN("72200000") == .none)
        #expect(PayerMSISDN("***") == .none)
        // Safe to show: never the number.
        #expect(!PayerMSISDN("254708374149").display.contains("08374149"))
        #expect(PayerMSISDN("254708374149").identifiesNumber && !PayerMSISDN("2547 ***** 126").identifiesNumber)
    }

    @Test("a typed account is trimmed, upper-cased, its spaces and dashes dropped; phone-like runs masked for display")
    func references() {
        #expect(C2BReference.normalised("  ek3-49x q ") == "EK349XQ")
        #expect(C2BReference.normalised("") == nil && C2BReference.normalised("  ") == nil)
        #expect(C2BReference.display("0712345678") == MSISDN.mask("0712345678"))
        #expect(C2BReference.display("Acc. 28 073760") == "Acc. 28 073760")
        var generator = SeededGenerator(seed: 7)
        let code = C2BReference.generate(prefix: "E", using: &generator)
        #expect(code.count == 7 && code.hasPrefix("E"))
        #expect(code.allSatisfy { C2BReference.alphabet.contains($0) || $0 == "E" })
    }

    static let price = Money(minorUnits: 500_000)

    static func reference(status: String = "open", paid: Int64 = 0, user: Int64 = 7) -> ReferenceFacts {
        ReferenceFacts(
            id: 1, code: "EK349XQ", userID: user, courseID: 3, status: status, price: price,
            paid: Money(minorUnits: paid))
    }

    @Test("validation: 0 within the balance, C2B00013 above it or unreadable, C2B00012 for an unknown or paid account")
    func validation() {
        let ok = C2BRules.validate(
            C2BFacts(amount: Money(minorUnits: 200_000), enrollmentReference: Self.reference(paid: 100_000)))
        #expect(ok.resultCode == "0" && ok.body == #"{"ResultCode":"0","ResultDesc":"Accepted"}"#)
        let over = C2BRules.validate(
            C2BFacts(amount: Money(minorUnits: 450_000), enrollmentReference: Self.reference(paid: 100_000)))
        #expect(over.resultCode == "C2B00013")
        #expect(over.body == #"{"ResultCode":"C2B00013","ResultDesc":"Rejected"}"#)
        #expect(C2BRules.validate(C2BFacts(amount: nil)).resultCode == "C2B00013")
        #expect(C2BRules.validate(C2BFacts(amount: Money(minorUnits: 100))).resultCode == "C2B00012")
        let paid = C2BRules.validate(
            C2BFacts(amount: Money(minorUnits: 100), enrollmentReference: Self.reference(status: "paid")))
        #expect(paid.resultCode == "C2B00012")
        // A learner reference: up to the open balance, or the highest price when nothing is open.
        let learner = C2BFacts(
            amount: Money(minorUnits: 600_000), learnerReference: 7, highestPrice: Money(minorUnits: 700_000))
        #expect(C2BRules.validate(learner).resultCode == "0")
        var owing = learner
        owing.openReferences = [7: [Self.reference(paid: 0)]]
        #expect(C2BRules.validate(owing).resultCode == "C2B00013")
        // An STK Push's own account reference is never refused.
        #expect(C2BRules.validate(C2BFacts(amount: Money(minorUnits: 100), waitingStkPayments: [9])).accepts)
    }

    @Test("allocation: the reference first, then the learner with one open course; several learners or none: a person")
    func allocation() {
        let reference = Self.reference()
        #expect(
            C2BRules.allocate(C2BFacts(amount: Self.price, enrollmentReference: reference), mayHold: true)
                == .enrollment(reference, basis: .enrollmentReference))
        // A paid reference is no licence: the money waits for a person, with its learner named.
        guard
            case .unallocated(let learner, _) = C2BRules.allocate(
                C2BFacts(amount: Self.price, enrollmentReference: Self.reference(status: "paid")), mayHold: false)
        else {
            Issue.record("a paid reference allocated money")
            return
        }
        #expect(learner == 7)
        let hashed = C2BFacts(amount: Self.price, phoneLearners: [7], openReferences: [7: [reference]])
        #expect(C2BRules.allocate(hashed, mayHold: false) == .enrollment(reference, basis: .payerPhone))
        var twoCourses = hashed
        twoCourses.openReferences = [7: [reference, Self.reference(user: 7)]]
        #expect(
            C2BRules.allocate(twoCourses, mayHold: false) == .unallocated(learner: 7, reason: Self.reason(twoCourses)))
        let shared = C2BFacts(amount: Self.price, phoneLearners: [7, 8], openReferences: [7: [reference]])
        if case .enrollment = C2BRules.allocate(shared, mayHold: false) { Issue.record("a shared number allocated") }
        // A masked number counts only when the first name agreed (the store gives maskedLearners only then).
        let masked = C2BFacts(amount: Self.price, maskedLearners: [7], openReferences: [7: [reference]])
        #expect(C2BRules.allocate(masked, mayHold: false) == .enrollment(reference, basis: .payerPhone))
        // A waiting STK Push holds it, until the hold is over.
        let stk = C2BFacts(amount: Self.price, enrollmentReference: reference, waitingStkPayments: [42])
        #expect(C2BRules.allocate(stk, mayHold: true) == .holdForStk([42]))
        #expect(C2BRules.allocate(stk, mayHold: false) == .enrollment(reference, basis: .enrollmentReference))
        if case .enrollment = C2BRules.allocate(C2BFacts(amount: Self.price), mayHold: true) {
            Issue.record("nothing allocated money")
        }
    }

    static func reason(_ facts: C2BFacts) -> String {
        if case .unallocated(_, let reason) = C2BRules.allocate(facts, mayHold: false) { return reason }
        return ""
    }

    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func span(hoursAgo start: Double, _ end: Double) -> TimeSpan? {
        TimeSpan(start: now.addingTimeInterval(-start * 3600), end: now.addingTimeInterval(-end * 3600))
    }

    @Test("a pull window starts at the coverage's end minus the overlap, never beyond Daraja's reach, ends before now")
    func windows() throws {
        let policy = PullPolicy()
        let fresh = try #require(PullCoverage.window(coveredUntil: nil, now: Self.now, policy: policy))
        #expect(fresh.start == Self.now.addingTimeInterval(-171_000) && fresh.end == Self.now.addingTimeInterval(-120))
        let next = try #require(
            PullCoverage.window(coveredUntil: Self.now.addingTimeInterval(-3600), now: Self.now, policy: policy))
        #expect(next.start == Self.now.addingTimeInterval(-3600 - 900))
        let old = try #require(
            PullCoverage.window(coveredUntil: Self.now.addingTimeInterval(-49 * 3600), now: Self.now, policy: policy))
        #expect(old.start == Self.now.addingTimeInterval(-171_000))
        #expect(
            PullCoverage.window(coveredUntil: Self.now, now: Self.now, policy: PullPolicy(overlapSeconds: 0)) == nil)
    }

    @Test("a 49-hour outage leaves one lost gap; a 3-hour one caught up leaves none; the gauge counts the watched span")
    func gaps() throws {
        let policy = PullPolicy()
        let since = Self.now.addingTimeInterval(-60 * 3600)
        let long = [try #require(Self.span(hoursAgo: 60, 49)), try #require(Self.span(hoursAgo: 47.5, 0.04))]
        let found = PullCoverage.gaps(
            shortcode: "600000", covered: long, trackingSince: since, now: Self.now, policy: policy)
        #expect(found.count == 1)
        #expect(found.first?.lost == true && found.first?.span.seconds == 5400)
        // Tracking begins with the first covered window.
        let tracked = Self.now.addingTimeInterval(-10 * 3600)
        let short = [try #require(Self.span(hoursAgo: 10, 3)), try #require(Self.span(hoursAgo: 3.25, 0.04))]
        #expect(
            PullCoverage.gaps(
                shortcode: "600000", covered: short, trackingSince: tracked, now: Self.now, policy: policy
            )
            .isEmpty)
        #expect(PullCoverage.uncoveredSeconds(short, trackingSince: tracked, now: Self.now, policy: policy) < 60)
        // Time not yet old enough to leave Daraja's reach is not a finding yet, but the gauge shows it.
        let recent = [try #require(Self.span(hoursAgo: 10, 5))]
        #expect(
            PullCoverage.gaps(
                shortcode: "600000", covered: recent, trackingSince: tracked, now: Self.now, policy: policy
            )
            .isEmpty)
        #expect(PullCoverage.uncoveredSeconds(recent, trackingSince: tracked, now: Self.now, policy: policy) > 4 * 3600)
        // Before tracking began nothing is claimed either way.
        #expect(PullCoverage.uncoveredSeconds([], trackingSince: nil, now: Self.now, policy: policy) > 45 * 3600)
        #expect(PullCoverage.uncovered([], from: Self.now, to: Self.now.addingTimeInterval(10)).count == 1)
    }

    @Test("Pull dates: sent as yyyy-MM-dd HH:mm:ss EAT; trxDate read with its Z as UTC, the docs' odd sample too")
    func pullDates() throws {
        let date = try #require(EastAfricaTime.date(compact: "20200805131300"))
        #expect(EastAfricaTime.pullText(date) == "2020-08-05 13:13:00")
        #expect(EastAfricaTime.date(pull: "2020-08-05T10:13:00Z") == date)
        #expect(EastAfricaTime.date(pull: "2020-08-05 13:13:00") == date)
        #expect(EastAfricaTime.date(pull: "2020-08-05 13:13") == date)
        #expect(EastAfricaTime.date(pull: "yesterday") == nil)
    }

    @Test("statement lines of C2B money are payments: paybill, and till lines as C2B-PULL.md §8 shows them")
    func statementClasses() {
        let paid = Money(minorUnits: 100)
        for reason in ["Pay Bill", "Customer Merchant Payment", "Online Merchant Payment", "Buy Goods"] {
            #expect(
                StatementClassifier.classify(reasonType: reason, details: "", paidIn: paid, withdrawn: .zero)
                    == .payment,
                "\(reason)")
        }
        #expect(
            StatementClassifier.classify(reasonType: "Pay merchant Charge", details: "", paidIn: .zero, withdrawn: paid)
                == .charge)
    }

    @Test("C2B URLs derive from the STK callback URL, keeping its token")
    func derivedURLs() throws {
        #expect(
            C2BSettings.derivedURL(
                from: "https://pay.example.com/api/payments/callback/?token=abc", path: C2BSettings.confirmationPath)
                == "https://pay.example.com/api/payments/c2b/confirmation/?token=abc")
        #expect(
            C2BSettings.derivedURL(
                from: "https://pay.example.com/hooks/callback?token=abc", path: C2BSettings.validationPath)
                == "https://pay.example.com/hooks/c2b/validation/?token=abc")
        #expect(C2BSettings.derivedURL(from: "https://pay.example.com/stk?token=abc", path: "/x") == nil)
        let env = Environment(
            [
                "MPESA_SHORTCODE": "600000",
                "MPESA_CALLBACK_URL": "https://pay.example.com/api/payments/callback/?token=t",
                "MPESA_C2B_VERSION": "V1", "MPESA_C2B_RESPONSE_TYPE": "canceled", "RECON_PULL_LAG": "5m",
                "MPESA_PULL_NOMINATED_NUMBER": "0722000000",
            ])
        let settings = try C2BSettings.load(from: env)
        #expect(settings.version == .v1 && settings.responseType == "Cancelled" && settings.pull.lagSeconds == 300)
        #expect(settings.pullNominatedNumber?.digits == "254722000000")
        #expect(throws: ConfigurationError.self) {
            try C2BSettings.load(from: Environment(["MPESA_SHORTCODE": "600000", "MPESA_C2B_VERSION": "v3"]))
        }
    }
}

@Suite("Reconcile: C2B instalments add up")
struct InstalmentRulesTests {
    static let price = Money(minorUnits: 500_000)
    static let at = Date(timeIntervalSince1970: 1_800_000_000)

    static func payment(_ id: Int64, _ shillings: Int64, source: PaymentSource = .c2b) -> PaymentFacts {
        PaymentFacts(
            id: id, status: .completed, amount: Money(minorUnits: shillings * 100),
            paidAmount: Money(minorUnits: shillings * 100), createdAt: at.addingTimeInterval(TimeInterval(id)),
            source: source)
    }

    static func pair(_ payments: [PaymentFacts], enrolled: Int64? = nil) -> PairFacts {
        PairFacts(
            userID: 1, courseID: 2, price: price, courseActive: true,
            enrollment: enrolled.map { EnrollmentFacts(id: 9, active: true, paymentID: $0) }, payments: payments)
    }

    @Test("a partial C2B payment is a balance: no underpaid, no duplicate")
    func partial() {
        #expect(ReconcileRules.judge(Self.pair([Self.payment(1, 2000), Self.payment(2, 1000)])).isEmpty)
    }

    @Test("instalments that reach the price enroll the learner on the one that reached it")
    func reached() {
        let findings = ReconcileRules.judge(Self.pair([Self.payment(1, 2000), Self.payment(2, 3000)]))
        #expect(findings.count == 1)
        #expect(findings.first?.kind == .paidNotEnrolled && findings.first?.action == .enroll(paymentID: 2))
        #expect(ReconcileRules.judge(Self.pair([Self.payment(1, 2000), Self.payment(2, 3000)], enrolled: 2)).isEmpty)
    }

    @Test("instalments beyond the price: the excess is refunded from the last one, in whole shillings")
    func beyond() {
        let findings = ReconcileRules.judge(Self.pair([Self.payment(1, 4000), Self.payment(2, 1500)], enrolled: 2))
        #expect(findings.count == 1)
        #expect(findings.first?.kind == .overpaid)
        guard case .proposeRefund(let paymentID, let amount, _) = findings.first?.action else {
            Issue.record("no refund proposed for the excess")
            return
        }
        #expect(paymentID == 2 && amount == Money(minorUnits: 50_000))
    }

    @Test("an STK payment and C2B money add up too; two STK payments are still a duplicate")
    func mixed() {
        #expect(
            ReconcileRules.judge(Self.pair([Self.payment(1, 2000, source: .stk), Self.payment(2, 3000)], enrolled: 2))
                .isEmpty)
        let findings = ReconcileRules.judge(
            Self.pair(
                [Self.payment(1, 5000, source: .stk), Self.payment(2, 5000, source: .stk), Self.payment(3, 100)],
                enrolled: 1))
        #expect(findings.contains { $0.kind == .duplicatePayment && $0.paymentID == 2 })
    }
}
