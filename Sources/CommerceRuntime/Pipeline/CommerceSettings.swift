/// Commerce policies the host configures; every request sees them in its context.
public struct CommerceSettings: Sendable, Equatable {
    /// Carts not changed for this many seconds are gone: reads answer 404 and
    /// ``PurgeExpiredCartsRequest`` deletes them. nil keeps carts until checkout or DELETE.
    public var cartIdleSeconds: Int64?
    /// When true, checkout reserves stock that is not there (the default warehouse goes below
    /// zero available, a backorder); when false (the default) it answers 409 OutOfStock.
    public var allowBackorders: Bool

    public init(cartIdleSeconds: Int64? = 30 * 24 * 3_600, allowBackorders: Bool = false) {
        self.cartIdleSeconds = cartIdleSeconds
        self.allowBackorders = allowBackorders
    }
}
