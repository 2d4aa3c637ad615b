import { Module } from '@nestjs/common';
import { TransactionsModule } from '../transactions/transactions.module';
import { PolicyEngine } from './engine/policy-engine';
import { PolicyPass } from './engine/policy-pass';
import { RecoveryPointGauge } from './engine/recovery-point-gauge';
import { RpoTimer } from './engine/rpo-timer';
import { PoliciesController } from './policies.controller';
import { PolicyCommands } from './policy-commands';
import { PolicyQueries } from './policy-queries';
import { PolicyReports } from './policy-reports';

/**
 * Replication policies: `/v1/policies` (their commands, queries, preview and status reports)
 * and the engine that carries them out: the PolicyEngine following the log, the periodic
 * PolicyPass (requests a policy would make now, then retention), the RpoTimer (objectives
 * breached on time) and the `snapferry_recovery_point_age_seconds` gauge. The three workers
 * run from the application's bootstrap until its shutdown begins.
 */
@Module({
  imports: [TransactionsModule],
  controllers: [PoliciesController],
  providers: [
    PolicyCommands,
    PolicyQueries,
    PolicyReports,
    PolicyEngine,
    PolicyPass,
    RpoTimer,
    RecoveryPointGauge,
  ],
})
export class PoliciesModule {}
