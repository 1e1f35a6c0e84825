namespace EmailPipeline.Observability.Tests.Support;

/// <summary>The scrape and trace tests share one observed pipeline (and its traffic): starting it is the slow part.</summary>
[CollectionDefinition(Name)]
public sealed class ObservedCollection : ICollectionFixture<ObservedPipeline>
{
    public const string Name = "observed pipeline";
}
