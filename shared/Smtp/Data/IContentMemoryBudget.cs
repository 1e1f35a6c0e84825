namespace EmailPipeline.Smtp.Data;

/// <summary>
/// Asked by <see cref="MessageContentBuffer"/> before it takes another segment of memory, so a host can bound
/// the content all its sessions hold together. A refusal is no fault of the client: the reader keeps reading
/// to the end of the content and reports <see cref="MessageContentReader.OverBudget"/>.
/// </summary>
public interface IContentMemoryBudget
{
    /// <summary>True when the buffer may hold <paramref name="bytes"/> in all; false leaves everything as it was.</summary>
    bool TryGrowTo(long bytes);
}
