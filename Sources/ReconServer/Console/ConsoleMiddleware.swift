import Hummingbird
import NIOCore
import ReconIdentity
import ReconPostgres

/// Outermost on the console's routes: any failure but an HTTP error becomes the "unavailable" page, with no detail
/// of the machinery (logged with the error's type only).
struct ConsoleFailureMiddleware: RouterMiddleware {
    typealias Context = ConsoleRequestContext
    let console: Console

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            return console.failure(error)
        }
    }
}

/// Lets a request through only with a valid session of an account that may use the console, which it puts in the
/// context; any other request goes to the sign-in page. On the way out it moves a redirect's banner
/// (``Console/back(_:notice:error:)``) into the session, for the next page to show once.
struct ConsoleSessionMiddleware: RouterMiddleware {
    typealias Context = ConsoleRequestContext
    let console: Console
    /// Whether signing in comes back to the page asked for (pages) or goes to the overview (forms, downloads).
    var returnsAfterSignIn: Bool

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let signedIn = try await console.signedIn(request, context) else {
            guard returnsAfterSignIn else { return Console.redirect("/console/login") }
            let next = request.uri.path.hasPrefix("/console/") ? request.uri.path : "/console/"
            return Console.redirect("/console/login?next=\(Console.urlEncode(next))")
        }
        var context = context
        context.session = signedIn.session
        context.sessionID = signedIn.id
        return try await console.keepFlash(try await next(request, context), sessionID: signedIn.id)
    }
}

/// On every form of a signed-in page: the form must carry the session's CSRF token (compared in constant time),
/// else 403 and nothing changes. The body is read once here (at most 64 KiB) and handed on for the handler to decode.
struct ConsoleCSRFMiddleware: RouterMiddleware {
    typealias Context = ConsoleRequestContext
    let console: Console

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let session = try context.requireSession()
        var request = request
        guard let buffer = try? await request.collectBody(upTo: context.maxUploadSize),
            let form = try? context.requestDecoder.decode(CSRFForm.self, from: String(buffer: buffer)),
            constantTimeEqual(form.csrfToken ?? "", session.csrfToken)
        else {
            return console.message(
                .forbidden, title: "Forbidden",
                "This form has expired or did not come from this console. Nothing was changed.",
                viewer: Viewer(session))
        }
        return try await next(request, context)
    }
}

/// On the routes of one role (the admin's forms, unmasked reports): any other account gets 403 with `refusal`.
struct ConsoleRoleMiddleware: RouterMiddleware {
    typealias Context = ConsoleRequestContext
    let console: Console
    let role: ConsoleRole
    let refusal: String

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let session = try context.requireSession()
        guard role.admits(session.account) else {
            return console.message(.forbidden, title: "Forbidden", refusal, viewer: Viewer(session))
        }
        return try await next(request, context)
    }
}
