using System.Collections.Concurrent;

[assembly: AssemblyFixture(typeof(EmailPipeline.Deploy.Tests.PublishedServices))]

namespace EmailPipeline.Deploy.Tests;

/// <summary>
/// Each service published once per test run, by the step deploy/Dockerfile's build stage runs
/// (`dotnet publish services/$SERVICE -c Release -o /app`), into a temporary directory removed at the end.
/// PublishTests checks the output; ServiceStartTests runs it. One publish at a time: the services share
/// projects (ServiceDefaults, Contracts) whose obj/ directories two concurrent builds would both write.
/// </summary>
public sealed class PublishedServices : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("emailpipeline-publish-").FullName;
    private readonly ConcurrentDictionary<string, Lazy<PublishedService>> _services = new(StringComparer.Ordinal);
    private readonly Lock _onePublishAtATime = new();

    public PublishedService Get(string service) =>
        _services.GetOrAdd(service, s => new Lazy<PublishedService>(() => Publish(s), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    private PublishedService Publish(string service)
    {
        string output = Path.Combine(_root, service);
        lock (_onePublishAtATime)
        {
            ProcessResult r = DeployTools.Run("dotnet", ["publish", $"services/{service}", "-c", "Release", "-o", output, "-nologo", "-nodeReuse:false"], timeout: TimeSpan.FromMinutes(8));
            return new PublishedService(service, output, r);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temporary directory; nothing depends on it.
        }
    }
}

/// <summary>The publish output of one service (the image's /app) and how the publish went.</summary>
public sealed record PublishedService(string Service, string Directory, ProcessResult Result)
{
    /// <summary>The file the image's ENTRYPOINT runs.</summary>
    public string EntryPoint => Path.Combine(Directory, $"EmailPipeline.{Service}.dll");

    public void AssertSucceeded() =>
        Assert.True(Result.ExitCode == 0, $"dotnet publish services/{Service} failed:\n{Result.StdOut}\n{Result.StdErr}");
}
