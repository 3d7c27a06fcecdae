import Foundation
import ReconCore
import ReconReports
import Testing

@Suite struct ReportPeriodTests {
    private func day(_ text: String) throws -> CivilDate { try CivilDate(parsing: text) }

    @Test func bordersAreMidnightInEastAfricaTime() throws {
        let period = try ReportPeriod(first: day("2026-11-28"), last: day("2026-11-29"))
        // 2026-11-28T00:00:00+03:00 and 2026-11-30T00:00:00+03:00.
        #expect(period.start == Date(timeIntervalSince1970: 1_795_813_200))
        #expect(period.end == Date(timeIntervalSince1970: 1_795_986_000))
        #expect(try EastAfricaTime.iso8601(period.start) == "2026-11-28T00:00:00+03:00")
        #expect(try EastAfricaTime.iso8601(period.end) == "2026-11-30T00:00:00+03:00")
        #expect(period.days == [try day("2026-11-28"), try day("2026-11-29")])
        #expect(period.label == "2026-11-28_2026-11-29")
        #expect(period.description == "2026-11-28 to 2026-11-29")
    }

    @Test func defaultIsYesterdayAndTodayInEastAfrica() throws {
        // 20:59:59 UTC is 23:59:59 EAT on the 28th; one second later it is the 29th in Nairobi.
        let lateOn28th = try ReportPeriod.yesterdayAndToday(at: Date(timeIntervalSince1970: 1_795_899_599))
        let (d27, d28, d29) = (try day("2026-11-27"), try day("2026-11-28"), try day("2026-11-29"))
        #expect(lateOn28th.first == d27 && lateOn28th.last == d28)
        let earlyOn29th = try ReportPeriod.yesterdayAndToday(at: Date(timeIntervalSince1970: 1_795_899_600))
        #expect(earlyOn29th.first == d28 && earlyOn29th.last == d29)
        let today = try ReportPeriod.today(at: Date(timeIntervalSince1970: 1_795_899_600))
        #expect(today.first == d29 && today.last == today.first)
    }

    @Test func oneDayPeriodsAndCalendarArithmetic() throws {
        let single = try ReportPeriod(first: day("2024-02-29"), last: day("2024-02-29"))
        #expect(single.end.timeIntervalSince(single.start) == 86_400)
        #expect(try day("2026-12-31").adding(days: 1) == (try day("2027-01-01")))
        #expect(try day("2024-03-01").adding(days: -1) == (try day("2024-02-29")))
        #expect(throws: ReportError.self) { try day("0001-01-01").adding(days: -1) }
    }

    @Test(arguments: ["2026-02-29", "2026-13-01", "2026-1-01", "26-11-28", "2026/11/28", "", "2026-11-28T00:00"])
    func malformedDaysAreRefused(text: String) {
        let error = #expect(throws: ReportError.self) { try CivilDate(parsing: text) }
        #expect(error?.code == .invalidArgument)
    }

    @Test func aPeriodCannotEndBeforeItStarts() throws {
        let error = #expect(throws: ReportError.self) {
            try ReportPeriod(first: day("2026-11-29"), last: day("2026-11-28"))
        }
        #expect(error?.message.contains("2026-11-29") == true)
    }
}

@Suite struct PhoneMaskingTests {
    @Test(arguments: [
        ("No response from 254712345678", "No response from 2547****5678"),
        ("{\"phone\": \"254112345678\", \"amount\": 700}", "{\"phone\": \"2541****5678\", \"amount\": 700}"),
        ("call +254712345678 or 0722000111.", "call 2547****5678 or 2547****0111."),
        ("254712345678", "2547****5678"),
        // Receipts and amounts are not personal data and stay.
        ("receipt TKR1AAA001, amount 1500.00", "receipt TKR1AAA001, amount 1500.00"),
        // Any other run of nine digits or more may carry a number (bare, or inside an identifier): last four only.
        ("id 2547123456789 and 25471234567", "id …6789 and …4567"),
        ("0822000111 and 712345678", "…0111 and …5678"),
        (
            #"{"CheckoutRequestID":"ws_CO_17112022155730304796440427","MerchantRequestID":"29115-34620561-1"}"#,
            #"{"CheckoutRequestID":"ws_CO_…0427","MerchantRequestID":"29115-34620561-1"}"#
        ),
        ("", ""),
        ("Ng'ang'a 0712345678 Wanjikũ", "Ng'ang'a 2547****5678 Wanjikũ"),
    ])
    func numbersInsideTextAreMasked(input: String, expected: String) {
        #expect(MSISDN.maskNumbers(in: input) == expected)
    }

    @Test(arguments: [
        ("ws_CO_17112022155730304796440427", "ws_CO_…0427"), ("29115-34620561-1", "…61-1"), ("abcd", "…"),
        ("", ""),
    ])
    func identifiersThatEmbedANumberShowOnlyTheirLastFour(text: String, expected: String) {
        #expect(MSISDN.maskIdentifier(text) == expected)
        #expect(!MSISDN.maskIdentifier(text).contains("796440427") || text.isEmpty)
    }

    @Test(arguments: [
        "254712345678", "254112345678", "0712345678", "+254712345678", "254812345678", "25471234567",
        "2547123456789", "25471234567x", "", "12345", "254 712 345 678", "٢٥٤٧١٢٣٤٥٦٧٨",
    ])
    func theFastPathMasksExactlyLikeMask(text: String) {
        #expect(MSISDN.maskStored(text) == MSISDN.mask(text))
    }
}
