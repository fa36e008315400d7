import ChannelDatabase
import CommerceQuery
import Foundation
import Testing

@testable import CommerceRuntime

/// Names per language, media locations and navigation hierarchies through the real runtime on
/// the demo catalog, on both backends.
@Suite("Catalog breadth")
struct CatalogBreadthTests {
    static let first = DemoData.firstProductId
    static let clothing = DemoData.firstCategoryId
    static let electronics = DemoData.firstCategoryId + 6
    static let outdoors = DemoData.firstCategoryId + 18

    struct Fixture {
        let runtime: CommerceRuntime
        let online: ChannelRecord
        let seattle: ChannelRecord

        func run<Request: CommerceRequest>(_ request: Request, in channel: ChannelRecord? = nil, language: String? = nil) async throws
            -> Request.Response
        {
            try await runtime.execute(request, channel: channel ?? online, caller: .anonymous, language: language)
        }
    }

    static func fixture(_ backend: Backend) async throws -> Fixture {
        let database = try await openSeededDatabase(backend)
        let runtime = try await makeRuntime(database) { _ in }
        return Fixture(
            runtime: runtime, online: try runtime.channel(orgUnitNumber: DemoData.onlineStoreNumber),
            seattle: try runtime.channel(orgUnitNumber: DemoData.physicalStoreNumber)
        )
    }

    /// Code-point order, as the database sorts names on both backends.
    static func codePointSorted(_ names: [String]) -> [String] {
        names.sorted { $0.unicodeScalars.map(\.value).lexicographicallyPrecedes($1.unicodeScalars.map(\.value)) }
    }

    @Test(
        "names and descriptions per language by key, in lists with $filter/$orderby on the translated name, and the fallback",
        arguments: Backend.allCases)
    func translations(_ backend: Backend) async throws {
        let f = try await Self.fixture(backend)
        #expect(f.online.languages == ["en-us", "de-de", "fr-fr"])

        let english = try #require(try await f.run(GetProductRequest(recordId: Self.first)))
        #expect(english.name == "Classic Shirt 1")
        let german = try #require(try await f.run(GetProductRequest(recordId: Self.first), language: "de-de"))
        #expect(german.name == "Klassik Hemd 1")
        #expect(german.description == "Aus Baumwolle von Contoso.")
        #expect(german.basePrice == english.basePrice && german.itemId == english.itemId)
        let french = try #require(try await f.run(GetProductRequest(recordId: Self.first), language: "fr-fr"))
        #expect(french.name == "Chemise Classic 1")
        // Product 401 has no German text: the master data's.
        let untranslated = try #require(try await f.run(GetProductRequest(recordId: Self.first + 400), language: "de-de"))
        #expect(untranslated.name == "Classic Shirt 401")
        #expect(untranslated.description == "Made of aluminium by Litware.")

        // $filter and $orderby see the request's language; products without German text keep
        // their English name, so they are not found by a German word.
        let rucksack = try QueryParser.filter("contains(Name,'Rucksack')")
        let page = try await f.run(
            GetProductsRequest(
                paging: PagingOptions(top: 100, includeCount: true),
                criteria: QueryCriteria(filter: rucksack, orderBy: try QueryParser.orderBy("Name"))),
            language: "de-de"
        )
        #expect(page.totalCount == 15)
        #expect(page.items.map(\.name) == Self.codePointSorted(page.items.map(\.name)))
        #expect(page.items.allSatisfy { $0.name.contains("Rucksack") })
        #expect(Set(page.items.map(\.recordId)) == Set(stride(from: 16, to: 300, by: 20).map { Self.first + Int64($0) }))
        let inEnglish = try await f.run(
            GetProductsRequest(paging: PagingOptions(top: 10, includeCount: true), criteria: QueryCriteria(filter: rucksack)))
        #expect(inEnglish.totalCount == 0)
        let descending = try await f.run(
            GetProductsRequest(
                paging: PagingOptions(top: 3), criteria: QueryCriteria(filter: rucksack, orderBy: try QueryParser.orderBy("Name desc"))),
            language: "de-de"
        )
        #expect(descending.items.map(\.name) == Array(Self.codePointSorted(page.items.map(\.name)).reversed().prefix(3)))
    }

    @Test("search finds a product by its German name and answers in the request's language", arguments: Backend.allCases)
    func search(_ backend: Backend) async throws {
        let f = try await Self.fixture(backend)
        let criteria = ProductSearchCriteria(searchText: try QueryParser.search("rucksack"))
        let german = try await f.run(SearchProductsRequest(criteria: criteria, paging: PagingOptions(top: 50, includeCount: true)), language: "de-de")
        #expect(german.totalCount == 15)
        #expect(german.items.allSatisfy { $0.name.contains("Rucksack") })
        let english = try await f.run(SearchProductsRequest(criteria: criteria, paging: PagingOptions(top: 50, includeCount: true)))
        #expect(english.totalCount == 15)
        #expect(english.items.allSatisfy { $0.name.contains("Backpack") })
        // A translated description word, and the $filter of a search on the translated name.
        let described = try await f.run(
            SearchProductsRequest(
                criteria: ProductSearchCriteria(searchText: try QueryParser.search("baumwolle")), paging: PagingOptions(top: 1, includeCount: true))
        )
        #expect(described.totalCount == 43)
        let filtered = try await f.run(
            SearchProductsRequest(
                criteria: criteria, paging: PagingOptions(top: 50, includeCount: true),
                query: QueryCriteria(filter: try QueryParser.filter("startswith(Name,'Klassik')"))
            ),
            language: "de-de"
        )
        #expect(filtered.totalCount == 0)
        let filteredGerman = try await f.run(
            SearchProductsRequest(
                criteria: criteria, paging: PagingOptions(top: 50, includeCount: true),
                query: QueryCriteria(filter: try QueryParser.filter("startswith(Name,'Alltags')"))
            ),
            language: "de-de"
        )
        #expect(filteredGerman.totalCount == 15)
        #expect(filteredGerman.items.allSatisfy { $0.name.hasPrefix("Alltags Rucksack") })
    }

    @Test("each channel shows its own navigation hierarchy: listing, by key, names, order, search filters and refiners", arguments: Backend.allCases)
    func navigation(_ backend: Backend) async throws {
        let f = try await Self.fixture(backend)
        let all = PagingOptions(top: 100, includeCount: true)
        let online = try await f.run(GetCategoriesRequest(paging: all))
        #expect(online.totalCount == 24)
        let seattle = try await f.run(GetCategoriesRequest(paging: all), in: f.seattle)
        #expect(seattle.totalCount == 12)
        let seattleIds = Set(seattle.items.map(\.recordId))
        #expect(seattleIds == Set((0..<6).map { Self.clothing + Int64($0) } + (0..<6).map { Self.outdoors + Int64($0) }))
        let roots = seattle.items.filter { $0.parentCategory == nil }
        #expect(roots.sorted { $0.displayOrder < $1.displayOrder }.map(\.recordId) == [Self.outdoors, Self.clothing])
        #expect(seattle.items.first { $0.recordId == Self.clothing + 1 }?.parentCategory == Self.clothing)

        #expect(try await f.run(GetCategoryRequest(recordId: Self.electronics), in: f.seattle) == nil)
        #expect(try await f.run(GetCategoryRequest(recordId: Self.electronics))?.name == "Electronics")
        #expect(try await f.run(GetCategoryRequest(recordId: Self.electronics), language: "de-de")?.name == "Elektronik")
        #expect(try await f.run(GetCategoryRequest(recordId: Self.outdoors + 2), in: f.seattle, language: "de-de")?.name == "Rucksäcke")
        let germanList = try await f.run(
            GetCategoriesRequest(paging: all, criteria: QueryCriteria(filter: try QueryParser.filter("Name eq 'Kleidung'"))), in: f.seattle,
            language: "de-de"
        )
        #expect(germanList.items.map(\.recordId) == [Self.clothing])

        // Searching within a category the channel does not show finds nothing there.
        let inElectronics = ProductSearchCriteria(categoryIds: [Self.electronics])
        let onlineFound = try await f.run(SearchProductsRequest(criteria: inElectronics, paging: PagingOptions(top: 1, includeCount: true)))
        #expect((onlineFound.totalCount ?? 0) > 0)
        let seattleFound = try await f.run(
            SearchProductsRequest(criteria: inElectronics, paging: PagingOptions(top: 1, includeCount: true)), in: f.seattle)
        #expect(seattleFound.totalCount == 0)
        let seattleOutdoors = try await f.run(
            SearchProductsRequest(criteria: ProductSearchCriteria(categoryIds: [Self.outdoors]), paging: PagingOptions(top: 1, includeCount: true)),
            in: f.seattle
        )
        #expect((seattleOutdoors.totalCount ?? 0) > 0)
        let refiners = try await f.run(
            GetProductRefinersRequest(criteria: ProductSearchCriteria(searchText: try QueryParser.search("contoso"))), in: f.seattle,
            language: "de-de")
        let categoryValues = refiners.first { $0.sourceValue == 2 }?.values ?? []
        #expect(!categoryValues.isEmpty)
        #expect(categoryValues.allSatisfy { Int64($0.leftValueBoundString).map(seattleIds.contains) == true })
        #expect(categoryValues.contains { $0.leftValueBoundLocalizedString == "Outdoor" })
    }

    @Test("media locations in display order with the default; primary image on products; unknown products are nil", arguments: Backend.allCases)
    func media(_ backend: Backend) async throws {
        let f = try await Self.fixture(backend)
        let page = try #require(try await f.run(GetMediaLocationsRequest(productId: Self.first, paging: PagingOptions(top: 10, includeCount: true))))
        #expect(
            page.items.map(\.uri) == [
                "Products/P00001_000_001.png", "Products/P00001_000_002.png", "https://media.example.com/products/P00001/detail.jpg",
            ])
        #expect(page.items.map(\.isDefault) == [true, false, false])
        #expect(page.items.first?.altText == "Classic Shirt 1, front")
        #expect(page.totalCount == 3)
        let second = try #require(try await f.run(GetMediaLocationsRequest(productId: Self.first, paging: PagingOptions(skip: 1, top: 1))))
        #expect(second.items.map(\.uri) == ["Products/P00001_000_002.png"])
        #expect(try await f.run(GetMediaLocationsRequest(productId: 42, paging: PagingOptions(top: 10))) == nil)
        // Product 601 is sold online only.
        #expect(try await f.run(GetMediaLocationsRequest(productId: Self.first + 600, paging: PagingOptions(top: 10))) != nil)
        #expect(try await f.run(GetMediaLocationsRequest(productId: Self.first + 600, paging: PagingOptions(top: 10)), in: f.seattle) == nil)

        #expect(try await f.run(GetProductRequest(recordId: Self.first))?.primaryImageUrl == "Products/P00001_000_001.png")
        let listed = try await f.run(GetProductsRequest(paging: PagingOptions(top: 2)))
        #expect(listed.items.map(\.primaryImageUrl) == ["Products/P00001_000_001.png", "Products/P00002_000_001.png"])
    }
}
