public import ReconCore

/// `doctor`'s findings: one line per check, problems first in each area, and a closing verdict.
public struct DoctorView: Presentable {
    /// The report.
    public var report: DoctorReport

    /// The view of a report.
    public init(report: DoctorReport) {
        self.report = report
    }

    /// `PASS|FAIL|SKIP|NOTE  area: detail` lines and a verdict.
    public var text: String {
        var lines = report.checks.map { check in
            let mark =
                switch check.status {
                case .pass: "PASS"
                case .fail: "FAIL"
                case .skipped: "SKIP"
                case .note: "NOTE"
                case .warn: "WARN"
                }
            return "\(mark)  \(check.area): \(check.detail)"
        }
        let failed = report.checks.filter { $0.status == .fail }.count
        lines.append(failed == 0 ? "doctor: all checks passed" : "doctor: \(failed) problem(s)")
        return lines.joined(separator: "\n")
    }

    enum CodingKeys: String, CodingKey {
        case passed, checks
    }

    /// `{"passed": Bool, "checks": [...]}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(report.passed, forKey: .passed)
        try container.encode(report.checks, forKey: .checks)
    }
}
