/// Writes the entity model as CSDL: XML (OData v4.0 `edmx:Edmx`) and JSON (OData CSDL JSON 4.01).
enum CSDL {
    static func xml(_ model: EntityModel) -> String {
        var out = #"<?xml version="1.0" encoding="utf-8"?>"#
        out += #"<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">"#
        out += "<edmx:DataServices>"
        out += #"<Schema Namespace="\#(EntityModel.namespace)" xmlns="http://docs.oasis-open.org/odata/ns/edm">"#
        for type in model.enumTypes {
            out += #"<EnumType Name="\#(escape(type.name))" UnderlyingType="Edm.Int64" IsFlags="\#(type.isFlags)">"#
            for member in type.members { out += #"<Member Name="\#(escape(member.name))" Value="\#(member.value)"/>"# }
            out += "</EnumType>"
        }
        for type in model.complexTypes {
            out += #"<ComplexType Name="\#(escape(type.name))">"#
            for property in type.properties { out += propertyXML(property) }
            out += "</ComplexType>"
        }
        for type in model.entityTypes {
            out += #"<EntityType Name="\#(escape(type.name))"><Key>"#
            for key in type.key { out += #"<PropertyRef Name="\#(escape(key))"/>"# }
            out += "</Key>"
            for property in type.properties { out += propertyXML(property) }
            for navigation in type.navigationProperties {
                let target = EdmType.entity(navigation.target)
                let typeName = navigation.isCollection ? EdmType.collection(target).qualifiedName : target.qualifiedName
                out += #"<NavigationProperty Name="\#(escape(navigation.name))" Type="\#(escape(typeName))"/>"#
            }
            out += "</EntityType>"
        }
        for operation in model.operations {
            out += #"<\#(operation.kind.rawValue) Name="\#(escape(operation.name))" IsBound="\#(operation.binding != nil)""#
            if operation.entitySetPath != nil, operation.binding != nil { out += #" EntitySetPath="bindingParameter""# }
            out += ">"
            if let binding = operation.binding {
                out += #"<Parameter Name="bindingParameter" Type="\#(escape(binding.type.qualifiedName))"/>"#
            }
            for parameter in operation.parameters {
                out += #"<Parameter Name="\#(escape(parameter.name))" Type="\#(escape(parameter.type.qualifiedName))""#
                out += parameter.nullable ? "/>" : #" Nullable="false"/>"#
            }
            if let result = operation.returnType { out += #"<ReturnType Type="\#(escape(result.qualifiedName))"/>"# }
            out += "</\(operation.kind.rawValue)>"
        }
        out += #"<EntityContainer Name="\#(EntityModel.containerName)">"#
        for set in model.entitySets {
            out += #"<EntitySet Name="\#(escape(set.name))" EntityType="\#(escape(EdmType.entity(set.entityType).qualifiedName))"/>"#
        }
        for operation in model.operations where operation.binding == nil {
            let kind = operation.kind == .action ? "ActionImport" : "FunctionImport"
            let reference = operation.kind == .action ? "Action" : "Function"
            out += #"<\#(kind) Name="\#(escape(operation.name))" \#(reference)="\#(EntityModel.namespace).\#(escape(operation.name))""#
            if let set = operation.entitySetPath { out += #" EntitySet="\#(escape(set))""# }
            if operation.kind == .function { out += #" IncludeInServiceDocument="true""# }
            out += "/>"
        }
        out += "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>"
        return out
    }

    private static func propertyXML(_ property: EdmProperty) -> String {
        var out = #"<Property Name="\#(escape(property.name))" Type="\#(escape(property.type.qualifiedName))""#
        if !property.nullable { out += #" Nullable="false""# }
        if property.type == .primitive(.decimal) { out += #" Precision="32" Scale="6""# }
        return out + "/>"
    }

    private static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    static func json(_ model: EntityModel) -> [UInt8] {
        var writer = JSONWriter(capacity: 16 * 1024)
        let namespace = EntityModel.namespace
        writer.beginObject()
        writer.field("$Version", "4.01")
        writer.field("$EntityContainer", "\(namespace).\(EntityModel.containerName)")
        writer.key(namespace)
        writer.beginObject()
        for type in model.enumTypes {
            writer.key(type.name)
            writer.beginObject()
            writer.field("$Kind", "EnumType")
            writer.field("$UnderlyingType", "Edm.Int64")
            if type.isFlags { writer.field("$IsFlags", true) }
            for member in type.members { writer.field(member.name, member.value) }
            writer.endObject()
        }
        for type in model.complexTypes {
            writer.key(type.name)
            writer.beginObject()
            writer.field("$Kind", "ComplexType")
            for property in type.properties { propertyJSON(property, into: &writer) }
            writer.endObject()
        }
        for type in model.entityTypes {
            writer.key(type.name)
            writer.beginObject()
            writer.field("$Kind", "EntityType")
            writer.key("$Key")
            writer.beginArray()
            for key in type.key { writer.string(key) }
            writer.endArray()
            for property in type.properties { propertyJSON(property, into: &writer) }
            for navigation in type.navigationProperties {
                writer.key(navigation.name)
                writer.beginObject()
                writer.field("$Kind", "NavigationProperty")
                if navigation.isCollection { writer.field("$Collection", true) }
                writer.field("$Type", EdmType.entity(navigation.target).qualifiedName)
                writer.endObject()
            }
            writer.endObject()
        }
        // Operations overload by name: CSDL JSON lists all overloads of a name in one array.
        var seen: Set<String> = []
        for operation in model.operations where seen.insert(operation.name).inserted {
            writer.key(operation.name)
            writer.beginArray()
            for overload in model.operations where overload.name == operation.name {
                writer.beginObject()
                writer.field("$Kind", overload.kind.rawValue)
                if overload.binding != nil {
                    writer.field("$IsBound", true)
                    if overload.entitySetPath != nil { writer.field("$EntitySetPath", "bindingParameter") }
                }
                writer.key("$Parameter")
                writer.beginArray()
                if let binding = overload.binding { parameterJSON(name: "bindingParameter", type: binding.type, nullable: true, into: &writer) }
                for parameter in overload.parameters { parameterJSON(name: parameter.name, type: parameter.type, nullable: parameter.nullable, into: &writer) }
                writer.endArray()
                if let result = overload.returnType {
                    writer.key("$ReturnType")
                    writer.beginObject()
                    typeJSON(result, into: &writer)
                    writer.endObject()
                }
                writer.endObject()
            }
            writer.endArray()
        }
        writer.key(EntityModel.containerName)
        writer.beginObject()
        writer.field("$Kind", "EntityContainer")
        for set in model.entitySets {
            writer.key(set.name)
            writer.beginObject()
            writer.field("$Collection", true)
            writer.field("$Type", EdmType.entity(set.entityType).qualifiedName)
            writer.endObject()
        }
        for operation in model.operations where operation.binding == nil {
            writer.key(operation.name)
            writer.beginObject()
            writer.field(operation.kind == .action ? "$Action" : "$Function", "\(namespace).\(operation.name)")
            if let set = operation.entitySetPath { writer.field("$EntitySet", set) }
            if operation.kind == .function { writer.field("$IncludeInServiceDocument", true) }
            writer.endObject()
        }
        writer.endObject()
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    private static func propertyJSON(_ property: EdmProperty, into writer: inout JSONWriter) {
        writer.key(property.name)
        writer.beginObject()
        typeJSON(property.type, into: &writer)
        if property.nullable { writer.field("$Nullable", true) }
        if property.type == .primitive(.decimal) {
            writer.field("$Precision", Int64(32))
            writer.field("$Scale", Int64(6))
        }
        writer.endObject()
    }

    private static func parameterJSON(name: String, type: EdmType, nullable: Bool, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("$Name", name)
        typeJSON(type, into: &writer)
        if nullable { writer.field("$Nullable", true) }
        writer.endObject()
    }

    /// `$Type` (omitted for Edm.String, the default) and `$Collection`.
    private static func typeJSON(_ type: EdmType, into writer: inout JSONWriter) {
        var element = type
        if case .collection(let inner) = type {
            writer.field("$Collection", true)
            element = inner
        }
        if element != .primitive(.string) { writer.field("$Type", element.qualifiedName) }
    }
}
