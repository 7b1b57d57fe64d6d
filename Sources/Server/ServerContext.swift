import HTTPTypes
public import Hummingbird

/// The request context of every route: Hummingbird's core storage plus the authenticated key.
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthMiddleware` for every route that needs a key.
    public var key: APIKeyRecord?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Bodies are streamed by the controllers, which apply `ServerConfiguration.maxBodyBytes` themselves.
    public var maxUploadSize: Int { 16 << 20 }

    /// The authenticated key when its role includes `role`; 403 otherwise.
    func require(_ role: Role) throws(Problem) -> APIKeyRecord {
        guard let key else { throw Problem.unauthorized("an API key is required (Authorization: Bearer <key>)") }
        guard key.role.satisfies(role) else {
            throw Problem.forbidden("this route needs the \(role.rawValue) role; the key '\(key.name)' has \(key.role.rawValue)")
        }
        return key
    }
}
