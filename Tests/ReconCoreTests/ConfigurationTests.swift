import ReconCore
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    static let complete: [String: String] = [
        "MPESA_ENVIRONMENT": "sandbox", "MPESA_CONSUMER_KEY": "key", "MPESA_CONSUMER_SECRET": "s3cret",
        "MPESA_SHORTCODE": "174379", "MPESA_PASSKEY": "passkey-value",
        "MPESA_CALLBACK_URL": "https://lms.example/api/payments/callback/",
    ]

    @Test(".env is read first and the real environment wins")
    func dotEnvPrecedence() {
        let dotEnv = """
            # comment
            export DB_NAME=lms
            DB_USER="lms user"
            DB_PORT=5432 # trailing comment
            MPESA_SHORTCODE='600000'
            """
        let env = Environment(dotEnv: dotEnv, process: ["MPESA_SHORTCODE": "174379"])
        #expect(env.optional("DB_NAME") == "lms")
        #expect(env.optional("DB_USER") == "lms user")
        #expect(env.optional("DB_PORT") == "5432")
        #expect(env.optional("MPESA_SHORTCODE") == "174379")
    }

    @Test("DATABASE_URL is used as is, or built from DB_* parts")
    func database() throws {
        let url = try DatabaseSettings.load(from: Environment(["DATABASE_URL": "postgresql://u@h:5/db"]))
        #expect(url.connectionString == "postgresql://u@h:5/db")
        let parts = try DatabaseSettings.load(
            from: Environment(["DB_NAME": "lms", "DB_HOST": "db", "DB_PORT": "6432", "DB_PASSWORD": "it's"]))
        #expect(parts.connectionString == "dbname='lms' host='db' port=6432 password='it\\'s'")
    }

    @Test(
        "a missing or malformed setting names the variable, never the value",
        arguments: [
            ([:], "DATABASE_URL"),
            (["DATABASE_URL": "mysql://x"], "DATABASE_URL"),
            (["DB_NAME": "x", "DB_PORT": "70000"], "DB_PORT"),
        ] as [([String: String], String)])
    func databaseErrors(values: [String: String], variable: String) {
        #expect { try DatabaseSettings.load(from: Environment(values)) } throws: { error in
            (error as? ConfigurationError)?.variable == variable
        }
    }

    @Test("Daraja settings are validated variable by variable")
    func daraja() throws {
        let settings = try DarajaSettings.load(from: Environment(Self.complete))
        #expect(settings.baseURL == "https://sandbox.safaricom.co.ke")
        for (variable, bad) in [
            ("MPESA_ENVIRONMENT", "staging"), ("MPESA_SHORTCODE", "17a379"), ("MPESA_CALLBACK_URL", "ftp://x"),
            ("MPESA_CALLBACK_URL", "https://lms.example/ callback"), ("MPESA_PASSKEY", ""),
        ] {
            var values = Self.complete
            values[variable] = bad
            #expect { try DarajaSettings.load(from: Environment(values)) } throws: { error in
                guard let error = error as? ConfigurationError else { return false }
                return error.variable == variable && !error.description.contains(bad.isEmpty ? "\u{0}" : bad)
            }
        }
        var simulator = Self.complete
        simulator["MPESA_ENVIRONMENT"] = "simulator"
        #expect { try DarajaSettings.load(from: Environment(simulator)) } throws: { error in
            (error as? ConfigurationError)?.variable == "MPESA_BASE_URL"
        }
        var production = Self.complete
        production["MPESA_ENVIRONMENT"] = "production"
        production["MPESA_CALLBACK_URL"] = "http://lms.example/cb"
        #expect { try DarajaSettings.load(from: Environment(production)) } throws: { error in
            (error as? ConfigurationError)?.variable == "MPESA_CALLBACK_URL"
        }
    }

    @Test("the callback allow-list is on (safaricom) by default in production; RECON_CALLBACK_ALLOWLIST=off: off")
    func callbackAllowList() throws {
        let token = ["MPESA_CALLBACK_TOKEN": "callback-token-0123456789"]
        func allowList(_ extra: [String: String]) throws -> [String]? {
            try CallbackSettings.load(from: Environment(token.merging(extra) { $1 })).allowList
        }
        #expect(try allowList(["MPESA_ENVIRONMENT": "production"]) == ["safaricom"])
        #expect(try allowList(["MPESA_ENVIRONMENT": "Production"]) == ["safaricom"])
        #expect(try allowList(["MPESA_ENVIRONMENT": "production", "RECON_CALLBACK_ALLOWLIST": "off"]) == nil)
        #expect(try allowList(["MPESA_ENVIRONMENT": "production", "RECON_CALLBACK_ALLOWLIST": " OFF "]) == nil)
        #expect(
            try allowList(["MPESA_ENVIRONMENT": "production", "RECON_CALLBACK_ALLOWLIST": "10.0.0.0/8"])
                == ["10.0.0.0/8"])
        #expect(try allowList(["MPESA_ENVIRONMENT": "sandbox"]) == nil)
        #expect(try allowList([:]) == nil)
        #expect(
            try allowList(["MPESA_ENVIRONMENT": "sandbox", "RECON_CALLBACK_ALLOWLIST": "safaricom, 10.0.0.0/8"])
                == ["safaricom", "10.0.0.0/8"])
        #expect { try allowList(["RECON_CALLBACK_ALLOWLIST": "off,safaricom"]) } throws: { error in
            (error as? ConfigurationError)?.variable == "RECON_CALLBACK_ALLOWLIST"
        }
    }

    @Test("approval settings: the dual-approval threshold (admins are accounts now, not a list)")
    func approvals() throws {
        let defaults = try ApprovalSettings.load(from: Environment([:]))
        #expect(defaults.dualApprovalAbove == Money(minorUnits: 1_000_000))
        let set = try ApprovalSettings.load(from: Environment(["RECON_DUAL_APPROVAL_ABOVE": "5,000"]))
        #expect(set.dualApprovalAbove == Money(minorUnits: 500_000))
        #expect { try ApprovalSettings.load(from: Environment(["RECON_DUAL_APPROVAL_ABOVE": "lots"])) } throws: {
            ($0 as? ConfigurationError)?.variable == "RECON_DUAL_APPROVAL_ABOVE"
        }
    }
}
