namespace EmailPipeline.Deploy.Tests;

/// <summary>The step deploy/Dockerfile runs for each image: `dotnet publish services/$SERVICE -c Release`.</summary>
public sealed class PublishTests
{
    [Theory]
    [InlineData("Ingress")]
    [InlineData("Queue")]
    [InlineData("Delivery")]
    [InlineData("Policy")]
    public void Dotnet_publish_of_the_service_succeeds_and_yields_the_image_entry_point(string service)
    {
        string output = Path.Combine(Path.GetTempPath(), $"emailpipeline-publish-{service}-{Guid.NewGuid():N}");
        try
        {
            ProcessResult r = DeployTools.Run("dotnet", ["publish", $"services/{service}", "-c", "Release", "-o", output, "-nologo"], timeout: TimeSpan.FromMinutes(8));
            Assert.True(r.ExitCode == 0, $"dotnet publish services/{service} failed:\n{r.StdOut}\n{r.StdErr}");
            // The Dockerfile's ENTRYPOINT runs exactly this file.
            Assert.True(File.Exists(Path.Combine(output, $"EmailPipeline.{service}.dll")), $"EmailPipeline.{service}.dll missing in {output}");
            Assert.True(File.Exists(Path.Combine(output, $"EmailPipeline.{service}.runtimeconfig.json")));
            Assert.True(File.Exists(Path.Combine(output, "appsettings.json")));
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }
}
