extension HandlerRegistry {
    /// A registry with the engine's own handlers; extensions register on top of it.
    public static func builtIn() -> HandlerRegistry {
        var registry = HandlerRegistry()
        CatalogHandlers.register(in: &registry)
        SearchHandlers.register(in: &registry)
        PricingHandlers.register(in: &registry)
        ChannelHandlers.register(in: &registry)
        CartHandlers.register(in: &registry)
        CartHandlers.registerLifecycle(in: &registry)
        CartHandlers.registerListing(in: &registry)
        OrderHandlers.register(in: &registry)
        OrderHandlers.registerListing(in: &registry)
        OrderEventHandlers.register(in: &registry)
        OrderStatusHandlers.register(in: &registry)
        AvailabilityHandlers.register(in: &registry)
        PaymentHandlers.register(in: &registry)
        StoredProperties.register(in: &registry)
        CustomerHandlers.register(in: &registry)
        return registry
    }
}
