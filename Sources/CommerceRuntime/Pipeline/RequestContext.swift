public import ChannelDatabase
public import Logging

/// Who is calling. Set by the consumer API's authentication; handlers use it for object-level rules.
public enum Caller: Sendable, Equatable {
    case anonymous
    case customer(accountNumber: String)
    case application(id: String)
    case employee(id: String, storeNumbers: [String])

    public var roleName: String {
        switch self {
        case .anonymous: "Anonymous"
        case .customer: "Customer"
        case .application: "Application"
        case .employee: "Employee"
        }
    }
}

/// Everything a handler or trigger may use while a request runs.
///
/// A context lives for one top-level request: one channel, one caller and one database
/// transaction shared by every nested request. It is valid only while that request runs.
public struct RequestContext: Sendable {
    public let channel: ChannelRecord
    public let caller: Caller
    /// The language the caller reads the catalog in (lower-case, `de-de`): negotiated by the
    /// consumer API from `Accept-Language` among the channel's languages, else the channel's.
    public let language: String
    public let transaction: any DatabaseTransaction
    public var logger: Logger
    public let settings: CommerceSettings
    let pipeline: Pipeline
    let compensations: Compensations
    let masterData: MasterDataCache
    /// Extension properties this request has read or written; see `StoredPropertiesMemo`.
    let storedProperties = StoredPropertiesMemo()
    /// The cart as this request's handler has just written it; see `KnownCartMemo`.
    let knownCart = KnownCartMemo()
    /// The master data generations this request sees; see `MasterDataMemo`.
    let masterDataMemo = MasterDataMemo()

    init(
        channel: ChannelRecord, caller: Caller, language: String? = nil, transaction: any DatabaseTransaction, logger: Logger,
        settings: CommerceSettings, pipeline: Pipeline, compensations: Compensations = Compensations(), masterData: MasterDataCache
    ) {
        self.masterData = masterData
        self.channel = channel
        self.caller = caller
        self.language = language ?? channel.languageId
        self.transaction = transaction
        self.logger = logger
        self.settings = settings
        self.pipeline = pipeline
        self.compensations = compensations
    }

    /// Registers what undoes an effect outside the database (an authorization, a message sent)
    /// should the top-level request (or the atomic group it ran in, see
    /// ``CommerceRuntime/atomically(_:)``) not commit. The action runs after the rollback, in a
    /// transaction of its own, with a context for the same channel and caller; its errors are
    /// logged, not thrown, because the request's own error is what the caller must see.
    /// An action that is no longer needed (the handler undid the effect itself) must check
    /// that and do nothing.
    public func onRollback(_ action: @escaping @Sendable (RequestContext) async throws -> Void) {
        compensations.append(action)
    }

    /// Runs a nested request in the same transaction, through its own triggers and handlers.
    public func execute<Request: CommerceRequest>(_ request: Request) async throws -> Request.Response {
        try await pipeline.run(request, context: self)
    }

    /// Runs a request by type name with a JSON body, as an extension does.
    public func execute(_ request: JSONRequest) async throws -> [UInt8] {
        try await pipeline.runJSON(request, context: self)
    }
}
