import Daraja
import Foundation
public import ReconCore

/// ReconCore's pure settings checks plus what needs the file system: the certificate must be readable and usable.
public enum ConfigurationCheck {
    /// Every problem of the settings in `needs`, one per variable.
    public static func problems(_ env: Environment, needs: Set<SettingsNeed>) -> [ConfigurationError] {
        var problems = SettingsCheck.problems(env, needs: needs)
        if needs.contains(.b2c), let path = env.optional("MPESA_CERT_PATH"),
            !problems.contains(where: { $0.variable == "MPESA_CERT_PATH" }),
            let problem = certificateProblem(path)
        {
            problems.append(ConfigurationError(variable: "MPESA_CERT_PATH", problem: problem))
        }
        return problems
    }

    /// Why the certificate at `path` cannot build a SecurityCredential, or `nil` when it can.
    public static func certificateProblem(_ path: String) -> String? {
        guard let pem = FileManager.default.contents(atPath: path) else {
            return "names a file that cannot be read"
        }
        do {
            _ = try SecurityCredential.encrypt(password: "doctor-check", certificatePEM: pem)
            return nil
        } catch {
            return "is not a usable certificate: \(error)"
        }
    }
}
