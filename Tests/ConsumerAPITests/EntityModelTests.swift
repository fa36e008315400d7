@testable import ConsumerAPI
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// What a CSDL document declares, read back from its text.
private struct Declared: Equatable {
    var entitySets: Set<String> = []
    var entityTypes: Set<String> = []
    var complexTypes: Set<String> = []
    /// "name|Action|bindingType" (bindingType empty when unbound).
    var operations: Set<String> = []
    var imports: Set<String> = []
}

/// Collects declarations from CSDL XML with Foundation's XML parser.
private final class CSDLXMLReader: NSObject, XMLParserDelegate {
    var declared = Declared()
    private var operation: (name: String, kind: String, bound: Bool)?
    private var bindingType = ""

    func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        let name = attributes["Name"] ?? ""
        switch element {
        case "EntitySet": declared.entitySets.insert(name)
        case "EntityType": declared.entityTypes.insert(name)
        case "ComplexType": declared.complexTypes.insert(name)
        case "Action", "Function":
            operation = (name, element, attributes["IsBound"] == "true")
            bindingType = ""
        case "Parameter" where operation?.bound == true && bindingType.isEmpty:
            bindingType = attributes["Type"] ?? ""
        case "ActionImport", "FunctionImport": declared.imports.insert(name)
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        if element == "Action" || element == "Function", let operation {
            declared.operations.insert("\(operation.name)|\(operation.kind)|\(bindingType)")
            self.operation = nil
        }
    }
}

private func expected(_ model: EntityModel) -> Declared {
    var declared = Declared()
    declared.entitySets = Set(model.entitySets.map(\.name))
    declared.entityTypes = Set(model.entityTypes.map(\.name))
    declared.complexTypes = Set(model.complexTypes.map(\.name))
    declared.operations = Set(model.operations.map { "\($0.name)|\($0.kind.rawValue)|\($0.binding?.type.qualifiedName ?? "")" })
    declared.imports = Set(model.operations.filter { $0.binding == nil }.map(\.name))
    return declared
}

private func readXML(_ text: String) throws -> Declared {
    let parser = XMLParser(data: Data(text.utf8))
    let reader = CSDLXMLReader()
    parser.delegate = reader
    parser.shouldProcessNamespaces = true
    guard parser.parse() else { throw CocoaError(.coderReadCorrupt) }
    return reader.declared
}

private func readJSON(_ bytes: [UInt8]) throws -> Declared {
    let root = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    #expect(root["$Version"] as? String == "4.01")
    let schema = try #require(root[EntityModel.namespace] as? [String: Any])
    var declared = Declared()
    for (name, value) in schema {
        if let element = value as? [String: Any] {
            switch element["$Kind"] as? String {
            case "EntityType": declared.entityTypes.insert(name)
            case "ComplexType": declared.complexTypes.insert(name)
            case "EntityContainer":
                for (member, definition) in element where !member.hasPrefix("$") {
                    let definition = definition as? [String: Any] ?? [:]
                    if definition["$Collection"] as? Bool == true { declared.entitySets.insert(member) }
                    if definition["$Action"] != nil || definition["$Function"] != nil { declared.imports.insert(member) }
                }
            default: break
            }
        } else if let overloads = value as? [[String: Any]] {
            for overload in overloads {
                let kind = overload["$Kind"] as? String ?? ""
                var binding = ""
                if overload["$IsBound"] as? Bool == true, let first = (overload["$Parameter"] as? [[String: Any]])?.first {
                    let type = first["$Type"] as? String ?? "Edm.String"
                    binding = first["$Collection"] as? Bool == true ? "Collection(\(type))" : type
                }
                declared.operations.insert("\(name)|\(kind)|\(binding)")
            }
        }
    }
    return declared
}

@Suite("Entity model and CSDL")
struct EntityModelTests {
    @Test("the Retail Server model has the sets, types and operations of API.md")
    func retailServerModel() throws {
        let model = EntityModel.retailServer()
        #expect(Set(model.entitySets.map(\.name)) == ["Products", "Categories", "Carts", "Customers", "SalesOrders", "OrgUnits"])
        #expect(model.entityType(named: "Product")?.key == ["RecordId"])
        #expect(model.entityType(named: "Cart")?.key == ["Id"])
        #expect(model.boundOperation("AddCartLines", entityType: "Cart", collection: false)?.kind == .action)
        #expect(model.boundOperation("Search", entityType: "Product", collection: true)?.entitySetPath == "Products")
        #expect(model.boundOperation("GetOrderHistory", entityType: "Customer", collection: false)?.kind == .function)
        #expect(model.unboundOperation("GetTenderTypes")?.kind == .function)
        #expect(model.entityType(named: "Product")?.property(named: "BasePrice")?.type == .primitive(.decimal))
    }

    @Test("applications need a scope for customer data, none for the catalog; every scope is a valid OAuth scope token")
    func applicationScopes() throws {
        let model = EntityModel.retailServer()
        #expect(model.applicationScopes == ["carts", "customers", "orders", "dataexchange"])
        let scoped = Dictionary(uniqueKeysWithValues: model.entitySets.map { ($0.name, $0.applicationScope) })
        #expect(scoped == ["Products": nil, "Categories": nil, "OrgUnits": nil, "Carts": "carts", "Customers": "customers", "SalesOrders": "orders"])
        // A bound operation declares its own scope, as it declares its own roles.
        for operation in model.operations where operation.binding?.entityType == "Cart" || operation.name == "Checkout" {
            #expect(operation.applicationScope == "carts", "\(operation.name)")
        }
        #expect(model.boundOperation("GetOrderHistory", entityType: "Customer", collection: false)?.applicationScope == "orders")
        #expect(model.boundOperation("Search", entityType: "Product", collection: true)?.applicationScope == nil)
        for scope in model.applicationScopes { #expect(ApplicationScope.isValid(scope)) }
        for bad in ["", "two words", #"quo"te"#, #"back\slash"#, "caf\u{e9}"] { #expect(!ApplicationScope.isValid(bad), "\(bad)") }
    }

    @Test("CSDL XML declares every set, type and operation with its binding")
    func csdlXML() throws {
        let model = EntityModel.retailServer()
        let text = CSDL.xml(model)
        #expect(text.hasPrefix(#"<?xml version="1.0" encoding="utf-8"?><edmx:Edmx Version="4.0""#))
        #expect(try readXML(text) == expected(model))
    }

    @Test("CSDL JSON declares every set, type and operation with its binding")
    func csdlJSON() throws {
        let model = EntityModel.retailServer()
        #expect(try readJSON(CSDL.json(model)) == expected(model))
    }

    @Test("additions from outside appear in both documents")
    func extensionAdditions() throws {
        var model = EntityModel.retailServer()
        try model.add(EdmEntityType("LoyaltyCard", key: ["CardNumber"], properties: [
            EdmProperty("CardNumber", .primitive(.string), nullable: false),
            EdmProperty("Points", .primitive(.int64), nullable: false),
        ]))
        try model.add(EdmEntitySet("LoyaltyCards", entityType: "LoyaltyCard", roles: [.customer]))
        try model.add(EdmOperation("Redeem", kind: .action, binding: .init(entityType: "LoyaltyCard", isCollection: false), parameters: [
            .init("points", .primitive(.int64), nullable: false),
        ], returnType: .entity("LoyaltyCard"), entitySetPath: "LoyaltyCards", roles: [.customer]))
        let xml = try readXML(CSDL.xml(model))
        let json = try readJSON(CSDL.json(model))
        #expect(xml == expected(model))
        #expect(json == expected(model))
        #expect(xml.operations.contains("Redeem|Action|\(EntityModel.namespace).LoyaltyCard"))
    }

    @Test("name clashes and dangling references are refused")
    func clashes() throws {
        var model = EntityModel.retailServer()
        #expect(throws: EntityModelError.self) { try model.add(EdmEntitySet("Products", entityType: "Product", roles: [])) }
        #expect(throws: EntityModelError.self) { try model.add(EdmEntityType("Product", key: ["RecordId"], properties: [])) }
        #expect(throws: EntityModelError.self) { try model.add(EdmEntitySet("Things", entityType: "NoSuchType", roles: [])) }
        #expect(throws: EntityModelError.self) {
            try model.add(EdmOperation("Products", kind: .function, returnType: .primitive(.string), roles: []))
        }
        #expect(throws: EntityModelError.self) {
            try model.add(EdmOperation("Checkout", kind: .action, binding: .init(entityType: "Cart", isCollection: false), roles: []))
        }
        #expect(throws: EntityModelError.self) {
            try model.add(EdmOperation("Ping", kind: .function, returnType: .complex("NoSuchComplex"), roles: []))
        }
        // Same name bound to another type is an overload, which OData allows.
        try model.add(EdmOperation("Checkout", kind: .action, binding: .init(entityType: "Customer", isCollection: false), roles: [.customer]))
    }
}
