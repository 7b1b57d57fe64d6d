import Testing

@Test func placeholderMedinfer() { #expect(1 == 1) }
