import Foundation
import Logging
import ReconApp
import ReconCore

#if canImport(Glibc)
    import Glibc
#endif

/// Test-only: `recon-crash-harness sending|b2c` runs what `mpesa-recon refunds send` runs (``Operations/sendRefunds``)
/// and kills itself with SIGKILL right after that step of the first send, for the "never twice" tests. It reads the
/// same environment variables as `mpesa-recon`; it is built for the tests and never shipped.
@main
enum CrashHarness {
    static func main() async {
        let arguments = CommandLine.arguments.dropFirst()
        guard arguments.count == 1, let step = arguments.first.flatMap(RefundDispatchStep.init(rawValue:)) else {
            FileHandle.standardError.write(Data("usage: recon-crash-harness sending|b2c\n".utf8))
            exit(2)
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let env = Environment(dotEnv: nil, process: ProcessInfo.processInfo.environment)
        do {
            let summary = try await Operations.sendRefunds(
                try DatabaseSettings.load(from: env), gateway: try DarajaWiring.client(env, b2c: true),
                schedule: try RetrySchedule.load(from: env), options: RefundDispatchOptions(),
                logger: Logger(label: "recon-crash-harness"),
                afterStep: { reached, _ in
                    if reached == step { kill(getpid(), SIGKILL) }
                })
            let message = "recon-crash-harness: step \(step.rawValue) never reached (\(summary.claimed) sent)\n"
            FileHandle.standardError.write(Data(message.utf8))
            exit(1)
        } catch {
            FileHandle.standardError.write(Data("recon-crash-harness: \(error)\n".utf8))
            exit(1)
        }
    }
}
