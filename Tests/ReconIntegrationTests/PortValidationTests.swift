import Foundation
import Testing

@Suite("Process: a port outside 0-65535 is a usage error (exit 2), never a silently wrapped port")
struct PortValidationTests {
    @Test(
        "mpesa-recon serve and daraja-sim refuse --port out of range with exit code 2 and the reason",
        arguments: [
            ("mpesa-recon", ["serve"], "99999"), ("mpesa-recon", ["serve"], "-1"),
            ("daraja-sim", [], "99999"), ("daraja-sim", [], "65536"),
        ])
    func outOfRange(binary: String, command: [String], port: String) async throws {
        let result = try await Subprocess.run(
            try Subprocess.binary(binary), command + ["--port=\(port)"],
            environment: ProcessInfo.processInfo.environment, killAfter: .seconds(20))
        #expect(!result.killed, "it started serving instead of refusing the port")
        #expect(result.status == 2)
        #expect(result.stderr.contains("--port must be between 0 and 65535"))
    }
}
