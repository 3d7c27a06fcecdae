import Foundation
import Hummingbird
import NIOCore
import ReconCore

/// The request context of the `api` group: the peer's address, the account ``BearerAuthenticator`` found behind the
/// bearer token, and the API's body decoding (``APIRequestDecoder``).
struct APIRequestContext: ChildRequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    /// The authenticated account; set by ``BearerAuthenticator`` on the payments routes, `nil` on `/api/auth/*`.
    var account: Account?

    init(context: ReconRequestContext) {
        self.coreContext = context.coreContext
        self.remoteAddress = context.remoteAddress
    }

    /// Bodies are small JSON objects; a larger one is refused as unparsable, as it always was.
    var maxUploadSize: Int { 64 * 1024 }

    var requestDecoder: APIRequestDecoder { APIRequestDecoder() }

    /// The authenticated account, or the 401 (a route behind ``BearerAuthenticator`` always has one).
    func requireAccount() throws(APIAnswer) -> Account {
        guard let account else { throw .notAuthenticated }
        return account
    }

    /// Where a decision came from, for the audit log: the client's address.
    var origin: String? { remoteAddress?.ipAddress }
}

/// The API's body decoding, as DRF answers it: an empty body is `{}`; a body that is not a JSON object, or is over
/// ``APIRequestContext/maxUploadSize``, is DRF's parse error. A payload's own refusal of a field (an ``APIAnswer``
/// thrown while it decodes) passes through.
struct APIRequestDecoder: RequestDecoder {
    func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw APIAnswer.badJSON
        }
        let data = buffer.readableBytes == 0 ? Data("{}".utf8) : Data(buffer.readableBytesView)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch is DecodingError {
            throw APIAnswer.badJSON
        }
    }
}

/// A payload whose own refusal is kept rather than thrown: an initiate's refusal is stored for its
/// Idempotency-Key like any other answer, so it is answered after the key is claimed.
struct Checked<Payload: Decodable>: Decodable {
    var result: Result<Payload, APIAnswer>

    init(from decoder: any Decoder) throws {
        do {
            result = .success(try Payload(from: decoder))
        } catch let refusal as APIAnswer {
            result = .failure(refusal)
        }
    }
}
