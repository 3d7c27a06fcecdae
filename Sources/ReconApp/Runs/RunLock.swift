public import ReconCore
import ReconPostgres

/// The lock that makes `run` single: a PostgreSQL session advisory lock, released when the holder's
/// connection closes (also when the process dies).
public struct RunLock: Sendable {
    /// An arbitrary fixed key shared by every `run` against the same database.
    public static let key: Int64 = 0x6d70_6573_615f_7275

    let connection: PostgresConnection

    /// Takes the lock, or returns `nil` at once when another run holds it.
    public static func acquire(_ settings: DatabaseSettings) async throws -> RunLock? {
        let connection = try await PostgresConnection.connect(settings)
        let held: Bool
        do {
            held = try await connection.run { db in try AdvisoryLockStore.tryLock(db, key: key) }
        } catch {
            await connection.close()
            throw error
        }
        guard held else {
            await connection.close()
            return nil
        }
        return RunLock(connection: connection)
    }

    /// Throws when the lock's connection is gone (and with it the lock): a run must stop before its next step.
    public func verify() async throws {
        guard try await connection.run({ db in try AdvisoryLockStore.holdsAny(db) }) else {
            throw PostgresError(
                code: .connectionFailed, message: "the run lock was lost; stopping before the next step")
        }
    }

    /// Releases the lock.
    public func release() async {
        _ = try? await connection.run { db in try AdvisoryLockStore.unlock(db, key: Self.key) }
        await connection.close()
    }
}
