import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core storage plus the client's address.
public struct SekishoRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer; proxies' forwarded addresses are only trusted by explicit configuration.
    public let peerAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Bodies are refused past this size while being collected (413), before any parsing.
    public var maxUploadSize: Int { 64 * 1024 }
}
