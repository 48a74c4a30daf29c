import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SekishoStore

/// `/api/v1/users`: the user operations of the admin pages, for scripts.
struct AdminAPIRoutes {
    let admin: AdminService
    let reports: AdminReports
    let authentication: APIAuthMiddleware

    struct UserJSON: Codable {
        let id: Int64
        let username: String
        let displayName: String
        let email: String
        let role: String
        let twoFactorEnabled: Bool
        let authenticatorBound: Bool?
        let locked: Bool?
        let lastSignInAt: Date?
    }

    struct CreateJSON: Decodable {
        let username: String
        let displayName: String?
        let email: String
        let role: String?
        let password: String
        let twoFactorEnabled: Bool?
    }

    struct UpdateJSON: Decodable {
        let displayName: String?
        let email: String?
        let role: String?
        let twoFactorEnabled: Bool?
        let password: String?
        /// The acting administrator's own password, when their sign-in is older than 15 minutes.
        let adminPassword: String?
    }

    func register(on router: Router<SekishoRequestContext>) {
        let api = router.group("/api/v1", context: APIContext.self).add(middleware: authentication)
        api.get("/users", use: list)
        api.post("/users", use: create)
        api.get("/users/{id}", use: show)
        api.patch("/users/{id}", use: update)
        api.delete("/users/{id}", use: delete)
        api.post("/users/{id}/reset-2fa", use: userAction { user, actor in try await admin.resetBinding(user, actor: actor) })
        api.post("/users/{id}/unlock", use: userAction { user, actor in try await admin.unlock(user, actor: actor) })
        api.post("/users/{id}/end-sessions", use: userAction { user, actor in _ = try await admin.endSessions(user, actor: actor) })
        api.post("/users/{id}/forget-browsers", use: userAction { user, actor in _ = try await admin.forgetRememberedBrowsers(user, actor: actor) })
    }

    func list(_ request: Request, context: APIContext) async throws -> Response {
        let search = request.uri.queryParameters["q"].map(String.init)
        let limit = min(max(request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? 100, 1), 1000)
        let offset = max(request.uri.queryParameters["offset"].flatMap { Int(String($0)) } ?? 0, 0)
        let rows = try await reports.users(search: search, limit: limit, offset: offset)
        return try json(
            rows.map { UserJSON($0.user, bound: $0.authenticatorBound, locked: $0.lockedUntil != nil) }
        )
    }

    func create(_ request: Request, context: APIContext) async throws -> Response {
        let body = try await decode(CreateJSON.self, request)
        let user = try await admin.create(
            username: body.username,
            displayName: body.displayName ?? "",
            email: body.email,
            role: try role(body.role) ?? .user,
            password: body.password,
            twoFactorEnabled: body.twoFactorEnabled ?? false,
            actor: context.actor
        )
        return try json(UserJSON(user, bound: false, locked: false), status: .created)
    }

    func show(_ request: Request, context: APIContext) async throws -> Response {
        let user = try await target(context)
        let standing = try await reports.standing(of: user)
        return try json(UserJSON(user, bound: standing.authenticatorBound, locked: standing.locked))
    }

    func update(_ request: Request, context: APIContext) async throws -> Response {
        let user = try await target(context)
        let body = try await decode(UpdateJSON.self, request)
        let change = AdminService.ProfileChange(
            displayName: body.displayName ?? user.displayName,
            email: body.email ?? user.email,
            role: try role(body.role) ?? user.role,
            twoFactorEnabled: body.twoFactorEnabled ?? user.twoFactorEnabled,
            newPassword: body.password
        )
        try await admin.update(user, to: change, actor: context.actor, password: body.adminPassword)
        return try json(UserJSON(try await admin.user(id: user.id), bound: nil, locked: nil))
    }

    func delete(_ request: Request, context: APIContext) async throws -> Response {
        let user = try await target(context)
        let password = request.headers[HTTPField.Name("X-Admin-Password")!]
        try await admin.delete(user, actor: context.actor, password: password)
        return Response(status: .noContent)
    }

    /// `POST /users/{id}/<action>`: does one thing to the user; 204.
    private func userAction(
        _ action: @escaping @Sendable (User, AdminService.Actor?) async throws -> Void
    ) -> @Sendable (Request, APIContext) async throws -> Response {
        { _, context in
            try await action(try await target(context), context.actor)
            return Response(status: .noContent)
        }
    }

    private func target(_ context: APIContext) async throws -> User {
        guard let id = context.parameters.get("id").flatMap(Int64.init) else { throw AdminService.Refusal.notFound }
        return try await admin.user(id: id)
    }

    private func role(_ text: String?) throws -> User.Role? {
        guard let text else { return nil }
        guard let role = User.Role(rawValue: text) else {
            throw APIError(status: .unprocessableContent, code: "invalid_role", message: "role must be admin or user")
        }
        return role
    }

    private func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
            throw APIError(status: .unsupportedMediaType, code: "unsupported_media_type", message: "send application/json")
        }
        let buffer = try await RequestBodyAborted.collect(request, upTo: 64 * 1024)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw APIError(status: .badRequest, code: "invalid_json", message: "the body is not the expected JSON: \(error)")
        }
    }

    private func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value)))
        )
    }
}

extension AdminAPIRoutes.UserJSON {
    init(_ user: User, bound: Bool?, locked: Bool?) {
        self.init(
            id: user.id,
            username: user.username,
            displayName: user.displayName,
            email: user.email,
            role: user.role.rawValue,
            twoFactorEnabled: user.twoFactorEnabled,
            authenticatorBound: bound,
            locked: locked,
            lastSignInAt: user.lastSignInAt
        )
    }
}
