using EmailPipeline.Ingress.Hosting;
using EmailPipeline.Smtp.Data;

namespace EmailPipeline.Ingress.Session;

/// <summary>
/// One transaction's share of the <see cref="BodyByteBudget"/>. It grows with the transaction's content buffer
/// and is held until the message is published (the copies made for the broker live that long), then given
/// back whole by <see cref="Dispose"/>, which the session reaches on every path: reply, reset, disconnect.
/// </summary>
internal sealed class BodyReservation(BodyByteBudget budget) : IContentMemoryBudget, IDisposable
{
    public long Held { get; private set; }

    public bool TryGrowTo(long bytes)
    {
        if (bytes <= Held)
        {
            return true;
        }

        if (!budget.TryReserve(bytes - Held))
        {
            return false;
        }

        Held = bytes;
        return true;
    }

    /// <summary>Gives back what is held beyond <paramref name="bytes"/> (content dropped early).</summary>
    public void ShrinkTo(long bytes)
    {
        if (bytes < Held)
        {
            budget.Release(Held - Math.Max(bytes, 0));
            Held = Math.Max(bytes, 0);
        }
    }

    public void Dispose() => ShrinkTo(0);
}
