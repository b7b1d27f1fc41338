import Hummingbird

/// The request context of every API route: Hummingbird's core context plus the request's id,
/// which the envelope middleware sets before any handler runs.
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// `X-Request-ID` when the client sent a sane one, else generated; echoed in the response.
    public var requestID = ""

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}
