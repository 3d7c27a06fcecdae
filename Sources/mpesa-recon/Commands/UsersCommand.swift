import ArgumentParser
import Foundation
import ReconApp
import ReconCore
import ReconPresentation

#if canImport(Glibc)
    import Glibc
#endif

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Accounts that log in to the API and act on refunds (the LMS's users, Django password hashes).",
        discussion: """
            Roles: admin (proposes, approves and rejects refunds; the LMS's is_staff counts as admin only with \
            RECON_STAFF_IS_ADMIN=true) and finance (reads every payment, phones masked). Passwords (at least 12 \
            characters) are read from the terminal or stdin, never from the command line.
            """,
        subcommands: [AddUser.self, SetPassword.self, ListUsers.self, DisableUser.self, UserRoles.self]
    )
}

/// Runs an account action and turns a refusal into a usage error (exit 2).
func refusingAccount<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let refusal as AccountRefusal {
        throw CLIError(message: refusal.message, exitCode: ExitCodes.usage)
    }
}

func parseRoles(_ names: [String], flag: String) throws -> [Role] {
    try names.flatMap { $0.split(separator: ",") }.map { name in
        guard let role = Role(rawValue: name.trimmingSpaces().lowercased()) else {
            throw CLIError(message: "\(flag): '\(name)' is not a role (admin, finance)", exitCode: ExitCodes.usage)
        }
        return role
    }
}

struct AddUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add an account.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The account's email (its login).") var email: String
    @Option(help: "Display name.") var name: String
    @Option(help: "A role to grant (admin, finance); repeat for several.") var role: [String] = []

    func run() async throws {
        let env = try Context.environment(common)
        let roles = try parseRoles(role, flag: "--role")
        let account = try await refusingAccount {
            try await Accounts.add(try Context.database(env), email: email, fullName: name, roles: roles)
        }
        try Context.show(AccountView(account), json: common.json)
    }
}

struct SetPassword: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-password",
        abstract: "Set an account's password, read from the terminal (twice, not echoed) or from stdin's first line.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The account's email.") var email: String

    func run() async throws {
        let env = try Context.environment(common)
        let password = try PasswordPrompt.read()
        try await refusingAccount {
            try await Accounts.setPassword(try Context.database(env), email: email, password: password)
        }
        if common.json { try Context.printJSON(["email": email, "password": "set"]) } else { print("Password set.") }
    }
}

struct ListUsers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List accounts.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let accounts = try await Accounts.list(try Context.database(common))
        try Context.show(AccountListView(accounts), json: common.json)
    }
}

struct DisableUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable", abstract: "Disable an account: it logs in nowhere and decides nothing.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The account's email.") var email: String
    @Flag(help: "Enable the account again instead.") var enable = false

    func run() async throws {
        let account = try await refusingAccount {
            try await Accounts.setActive(try Context.database(common), email: email, active: enable)
        }
        try Context.show(AccountView(account), json: common.json)
    }
}

struct UserRoles: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "roles", abstract: "Grant or revoke roles.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The account's email.") var email: String
    @Option(help: "A role to grant (admin, finance).") var add: [String] = []
    @Option(help: "A role to revoke.") var remove: [String] = []

    func run() async throws {
        let env = try Context.environment(common)
        let grant = try parseRoles(add, flag: "--add")
        let revoke = try parseRoles(remove, flag: "--remove")
        let account = try await refusingAccount {
            try await Accounts.roles(try Context.database(env), email: email, add: grant, remove: revoke)
        }
        try Context.show(AccountView(account), json: common.json)
    }
}

/// Reads a password without echo on a terminal, or the first line of stdin otherwise.
enum PasswordPrompt {
    static func read() throws -> String {
        guard isatty(STDIN_FILENO) == 1 else {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw CLIError(message: "no password on stdin", exitCode: ExitCodes.usage)
            }
            return line
        }
        let first = try readHidden("Password: ")
        let second = try readHidden("Password (again): ")
        guard first == second else { throw CLIError(message: "the passwords differ", exitCode: ExitCodes.usage) }
        return first
    }

    static func readHidden(_ prompt: String) throws -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw CLIError(message: "no password given", exitCode: ExitCodes.usage)
        }
        return line
    }
}
