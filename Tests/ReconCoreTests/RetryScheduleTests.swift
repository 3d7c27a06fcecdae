import Foundation
import ReconCore
import Testing

@Suite("Retry schedule")
struct RetryScheduleTests {
    @Test("parses units and prints them back")
    func parse() throws {
        let schedule = try #require(RetrySchedule.parse("90s,3m,10m,30m,2h,12h,24h"))
        #expect(schedule == .standard)
        #expect(schedule.description == "90s,3m,10m,30m,2h,12h,1d")
        #expect(RetrySchedule.parse("5,1d")?.delays == [5, 86_400])
        #expect(RetrySchedule.parse("") == nil)
        #expect(RetrySchedule.parse("0s") == nil)
        #expect(RetrySchedule.parse("3x") == nil)
    }

    @Test("first check 90 s after creation, then the gaps, then nothing")
    func walk() {
        let created = Date(timeIntervalSince1970: 0)
        #expect(RetrySchedule.standard.firstCheck(createdAt: created) == Date(timeIntervalSince1970: 90))
        #expect(RetrySchedule.standard.nextCheck(afterAttempts: 1, now: created) == Date(timeIntervalSince1970: 180))
        #expect(RetrySchedule.standard.nextCheck(afterAttempts: 7, now: created) == nil)
    }
}
