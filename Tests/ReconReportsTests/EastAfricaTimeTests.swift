import Foundation
import ReconCore
import ReconReports
import Testing

@Suite struct EastAfricaTimeTests {
    private func iso(_ seconds: Double) throws -> String {
        try EastAfricaTime.iso8601(Date(timeIntervalSince1970: seconds))
    }

    @Test func knownInstants() throws {
        #expect(try iso(0) == "1970-01-01T03:00:00+03:00")
        #expect(try iso(-1) == "1970-01-01T02:59:59+03:00")
        #expect(try iso(1_795_934_154) == "2026-11-29T09:35:54+03:00")
        // 21:00 UTC is already the next day in Nairobi, including across a leap day.
        #expect(try iso(1_709_154_000) == "2024-02-29T00:00:00+03:00")
        #expect(try iso(1_709_240_400) == "2024-03-01T00:00:00+03:00")
        #expect(try iso(951_825_600) == "2000-02-29T15:00:00+03:00")
        #expect(try iso(-2_203_891_200) == "1900-03-01T03:00:00+03:00")
    }

    @Test func fractionsOfASecondRoundTowardThePast() throws {
        #expect(try iso(1.999) == "1970-01-01T03:00:01+03:00")
        #expect(try iso(-0.25) == "1970-01-01T02:59:59+03:00")
    }

    @Test func agreesWithFoundationAcrossCenturies() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(secondsFromGMT: 3 * 3600)
        var generator = SystemRandomNumberGenerator()
        var samples: [Int64] = [0, -1, 86_399, 86_400, -86_400, 951_782_399, 4_107_542_399]
        for _ in 0..<5000 { samples.append(Int64.random(in: -2_208_988_800...4_102_444_800, using: &generator)) }
        for seconds in samples {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            let expected = formatter.string(from: date)
            #expect(try EastAfricaTime.iso8601(date) == expected, "unix \(seconds)")
        }
    }

    @Test func fourDigitYearLimits() throws {
        let first = EastAfricaTime.supportedSeconds.lowerBound
        let last = EastAfricaTime.supportedSeconds.upperBound
        #expect(try iso(Double(first)) == "0001-01-01T00:00:00+03:00")
        #expect(try iso(Double(last)) == "9999-12-31T23:59:59+03:00")
        for outside in [Double(first - 1), Double(last + 1), .infinity, -.infinity, .nan] {
            let error = try #require(throws: ReportError.self) { try iso(outside) }
            #expect(error.code == .valueOutOfRange)
        }
    }

    @Test func civilDates() throws {
        #expect(try CivilDate(year: 2024, month: 2, day: 29).description == "2024-02-29")
        #expect(try CivilDate(year: 2000, month: 2, day: 29).daysSinceUnixEpoch == 11_016)
        #expect(try CivilDate(year: 1970, month: 1, day: 1).daysSinceUnixEpoch == 0)
        #expect(try CivilDate(year: 1969, month: 12, day: 31).daysSinceUnixEpoch == -1)
        for (year, month, day) in [(2023, 2, 29), (1900, 2, 29), (2026, 4, 31), (2026, 13, 1), (0, 1, 1), (2026, 1, 0)]
        {
            let error = try #require(throws: ReportError.self) { try CivilDate(year: year, month: month, day: day) }
            #expect(error.code == .invalidArgument)
        }
        // The day in Nairobi, not in UTC.
        let lateEvening = Date(timeIntervalSince1970: 1_795_980_000)  // 2026-11-29T19:20:00Z
        #expect(try EastAfricaTime.civilDate(of: lateEvening) == CivilDate(year: 2026, month: 11, day: 29))
        let afterMidnightEAT = Date(timeIntervalSince1970: 1_795_986_000)  // 2026-11-29T21:00:00Z
        #expect(try EastAfricaTime.civilDate(of: afterMidnightEAT) == CivilDate(year: 2026, month: 11, day: 30))
    }

    @Test func civilDaysRoundTripThroughISOText() throws {
        // Every day from 1899 to 2101 formats as the day Foundation's Gregorian calendar gives.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(secondsFromGMT: 3 * 3600))
        var day = try CivilDate(year: 1899, month: 1, day: 1)
        var date = try #require(calendar.date(from: DateComponents(year: 1899, month: 1, day: 1, hour: 12)))
        while day.year <= 2101 {
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            #expect(parts.year == day.year && parts.month == day.month && parts.day == day.day, "\(day)")
            #expect(try EastAfricaTime.civilDate(of: date) == day)
            let next = day.daysSinceUnixEpoch + 1
            day = try EastAfricaTime.civilDate(of: Date(timeIntervalSince1970: TimeInterval(next * 86_400)))
            date = date.addingTimeInterval(86_400)
        }
    }
}
