import Testing

@Test func placeholderTensor() { #expect(1 == 1) }
