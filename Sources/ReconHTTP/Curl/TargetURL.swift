internal import CCurl

/// A request URL checked before libcurl sees it: http or https only, parsed by libcurl's own URL parser, with
/// the safe `origin` for messages and the parts that must never appear in one.
struct TargetURL: Sendable {
    /// The URL as given, handed to `CURLOPT_URL`.
    let text: String
    /// `scheme://host:port`, the only part of the URL errors show.
    let origin: String
    /// Path, query, fragment and user info, raw and as libcurl normalised them, longest first.
    private let secrets: [String]

    init(validating url: String) throws(HTTPClientError) {
        // Control characters and spaces would let a caller smuggle a second URL or header past the checks.
        guard !url.isEmpty, url.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            throw HTTPClientError(code: .invalidURL)
        }
        guard let colon = url.firstIndex(of: ":"), Self.isSchemeName(url[..<colon]) else {
            throw HTTPClientError(code: .invalidURL)
        }
        let scheme = url[..<colon].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw HTTPClientError(code: .unsupportedScheme)
        }

        let parsed = try URLHandle.parsing(url)
        guard let host = try parsed.part(CURLUPART_HOST), let port = try parsed.part(CURLUPART_PORT, defaultPort: true)
        else {
            throw HTTPClientError(code: .invalidURL)
        }
        self.text = url
        self.origin = "\(scheme)://\(host):\(port)"

        var secrets = Self.rawSecrets(of: url)
        for part in [CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_PATH, CURLUPART_QUERY, CURLUPART_FRAGMENT] {
            if let value = try parsed.part(part) {
                secrets.append(value)
            }
        }
        self.secrets = secrets.filter { $0.count > 1 }.sorted { $0.count > $1.count }
    }

    /// `message` with every secret part of this URL replaced.
    func redact(_ message: String) -> String {
        var text = message
        for secret in secrets {
            text = text.replacing(secret, with: "<redacted>")
        }
        return text
    }

    private static func isSchemeName(_ name: Substring) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIILetter else { return false }
        return name.unicodeScalars.allSatisfy {
            $0.isASCIILetter || $0.isASCIIDigit || "+-.".unicodeScalars.contains($0)
        }
    }

    /// The raw tail after the authority, the raw query and the raw user info, before any normalisation.
    private static func rawSecrets(of url: String) -> [String] {
        guard let separator = url.firstRange(of: "://") else { return [] }
        let rest = url[separator.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var found = [String(rest[authorityEnd...])]
        if let query = rest.firstIndex(of: "?") {
            found.append(String(rest[query...]))
        }
        if let at = rest[..<authorityEnd].lastIndex(of: "@") {
            found.append(String(rest[..<at]))
        }
        return found
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetter: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self)
    }

    fileprivate var isASCIIDigit: Bool {
        ("0"..."9").contains(self)
    }
}

/// Owner of a `CURLU` parse handle.
private struct URLHandle: ~Copyable {
    let raw: OpaquePointer

    private init(raw: OpaquePointer) {
        self.raw = raw
    }

    static func parsing(_ url: String) throws(HTTPClientError) -> URLHandle {
        guard let raw = curl_url() else {
            throw HTTPClientError(code: .transport, curlMessage: "curl_url: out of memory")
        }
        let handle = URLHandle(raw: raw)
        try check(curl_url_set(handle.raw, CURLUPART_URL, url, 0))
        return handle
    }

    deinit {
        curl_url_cleanup(raw)
    }

    /// The part, or nil when the URL has none.
    func part(_ which: CURLUPart, defaultPort: Bool = false) throws(HTTPClientError) -> String? {
        var value: UnsafeMutablePointer<CChar>?
        let code = curl_url_get(raw, which, &value, defaultPort ? UInt32(CURLU_DEFAULT_PORT) : 0)
        defer { curl_free(value) }
        switch code {
        case CURLUE_NO_USER, CURLUE_NO_PASSWORD, CURLUE_NO_QUERY, CURLUE_NO_FRAGMENT, CURLUE_NO_HOST, CURLUE_NO_PORT:
            return nil
        default:
            try check(code)
            return value.map { String(cString: $0) }
        }
    }
}
