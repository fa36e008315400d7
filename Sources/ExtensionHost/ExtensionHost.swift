/// Loads partner extensions (`.so` files) at start-up and bridges their registrations into the
/// Commerce Runtime, the consumer API and the migrations.
///
/// The loader itself is the extension milestone's work; the pieces it plugs into already take
/// outside registrations: `HandlerRegistry.registerJSON` and the JSON trigger functions accept
/// handlers by request-type name, and `Migrator` applies one `MigrationSet` per namespace.
public enum ExtensionHost {}
