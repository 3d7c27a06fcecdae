import Foundation

/// pgBackRest's answer about one stanza, asked at most once per `maxAge` however often `/metrics` is scraped
/// (each `info` reads the repository, which may be a remote one).
public actor BackupWatch {
    /// The stanza watched (`RECON_PGBACKREST_STANZA`).
    public let stanza: String
    let searchPath: String
    let maxAge: Duration
    let timeout: Duration
    private var last: (at: ContinuousClock.Instant, result: Result<BackupStatus, PgBackRest.Failure>)?

    /// A watch of `stanza`; `timeout` bounds one `pgbackrest info`.
    public init(stanza: String, searchPath: String, maxAge: Duration = .seconds(60), timeout: Duration = .seconds(8)) {
        self.stanza = stanza
        self.searchPath = searchPath
        self.maxAge = maxAge
        self.timeout = timeout
    }

    /// The last answer when it is fresh, else a new one.
    public func status() async -> Result<BackupStatus, PgBackRest.Failure> {
        let now = ContinuousClock.now
        if let last, now - last.at < maxAge { return last.result }
        let result: Result<BackupStatus, PgBackRest.Failure>
        do {
            result = .success(try await PgBackRest.info(stanza: stanza, searchPath: searchPath, timeout: timeout))
        } catch {
            result = .failure(error)
        }
        last = (now, result)
        return result
    }
}
