public import Hummingbird
public import NIOCore

/// The per-request context of the API: Hummingbird's core context plus the client's address,
/// which anonymous callers are rate-limited by.
public struct CommerceRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
