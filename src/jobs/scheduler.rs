//! The thin scheduler: tokio-cron-scheduler fires each configured job on its cron
//! schedule in every replica; `run_scheduled`'s lease, taken once per tick, makes each
//! tick's run happen once.

use super::{ALL, run_scheduled, schedule_of, tick_of};
use crate::services::Ctx;
use tokio_cron_scheduler::{Job, JobScheduler};

/// Starts the scheduler for every job with a schedule. Keep the returned value
/// alive (and `shutdown` it) for as long as jobs should run.
pub async fn start(ctx: Ctx, holder: String) -> Result<JobScheduler, String> {
    let scheduler = JobScheduler::new().await.map_err(|e| e.to_string())?;
    for name in ALL {
        let schedule = schedule_of(&ctx, name).trim().to_string();
        if schedule.is_empty() {
            continue;
        }
        let (ctx, holder) = (ctx.clone(), holder.clone());
        let job = Job::new_async(schedule.as_str(), move |_id, _lock| {
            let (ctx, holder) = (ctx.clone(), holder.clone());
            Box::pin(async move {
                let tick = tick_of(ctx.now());
                if let Err(e) = run_scheduled(&ctx, name, &holder, tick).await {
                    tracing::error!(job = name, error = %e, "job failed");
                }
            })
        })
        .map_err(|e| format!("config key `jobs.{name}`: {e}"))?;
        scheduler.add(job).await.map_err(|e| e.to_string())?;
    }
    scheduler.start().await.map_err(|e| e.to_string())?;
    Ok(scheduler)
}
