import ReconCore
import Testing

@Suite("Money in minor units")
struct MoneyTests {
    @Test(
        "parses amounts exactly",
        arguments: [
            ("1", 100), ("1.00", 100), ("1.5", 150), ("1,000.00", 100_000), ("250,000", 25_000_000),
            ("0.01", 1), ("-3.20", -320), ("12.000", 1200), (" 7 ", 700), ("1234567.89", 123_456_789),
        ] as [(String, Int64)])
    func parses(text: String, minor: Int64) throws {
        #expect(try Money.parse(text).minorUnits == minor)
    }

    @Test(
        "refuses what is not an exact shilling amount",
        arguments: [
            ("", Money.ParseError.empty), ("1.001", .tooManyDecimals), ("1,00", .misplacedGrouping),
            ("1,0000", .misplacedGrouping), ("12a", .invalidCharacter), ("1e3", .invalidCharacter),
            ("99999999999999999999", .outOfRange), ("-", .empty), (".5", .invalidCharacter),
        ] as [(String, Money.ParseError)])
    func refuses(text: String, error: Money.ParseError) {
        #expect(throws: error) { try Money.parse(text) }
    }

    @Test("prints plain decimals for machines and grouped KES for people")
    func formats() {
        #expect(Money(minorUnits: 123_456_789).decimalString == "1234567.89")
        #expect(Money(minorUnits: -5).decimalString == "-0.05")
        #expect(Money(minorUnits: 100_000).description == "KES 1,000.00")
        #expect(Money(minorUnits: -123_456_705).description == "KES -1,234,567.05")
        #expect(Money(minorUnits: 99).description == "KES 0.99")
    }

    @Test("arithmetic reports overflow instead of wrapping")
    func overflow() {
        #expect(Money(minorUnits: .max).adding(Money(minorUnits: 1)) == nil)
        #expect(Money(minorUnits: 150).subtracting(Money(minorUnits: 50)) == Money(minorUnits: 100))
        #expect(Money(shillings: .max) == nil)
        #expect(Money(shillings: 250_000)?.minorUnits == 25_000_000)
    }
}

@Suite("MSISDN")
struct MSISDNTests {
    @Test(
        "normalises Kenyan mobile numbers",
        arguments: [
            ("0712345678", "254712345678"), ("0112345678", "254112345678"), ("+254712345678", "254712345678"),
            ("254712345678", "254712345678"), ("254112345678", "254112345678"), ("712345678", "254712345678"),
            ("0712 345-678", "254712345678"),
        ])
    func normalises(input: String, digits: String) throws {
        #expect(try MSISDN(parsing: input).digits == digits)
    }

    @Test(
        "rejects the rest with a reason",
        arguments: [
            ("", MSISDN.ParseError.empty), ("07123", .wrongLength(5)), ("2547123456789", .wrongLength(13)),
            ("0212345678", .notKenyanMobile), ("25470****149", .invalidCharacter),
            ("+1 415 555 0100", .wrongLength(11)),
        ] as [(String, MSISDN.ParseError)])
    func rejects(input: String, error: MSISDN.ParseError) {
        #expect(throws: error) { try MSISDN(parsing: input) }
    }

    @Test("masks as 2547****1234 and never prints the full number")
    func masks() throws {
        let number = try MSISDN(parsing: "0712345678")
        #expect(number.masked == "2547****5678")
        #expect("\(number)" == "2547****5678")
        #expect(MSISDN.mask("254712345678") == "2547****5678")
        #expect(!MSISDN.mask("not-a-number-123456").contains("number-12"))
    }
}
