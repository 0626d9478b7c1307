// A campaign's report (issue 14): its trials read from MLflow, plots as Vega-Lite specs rendered to
// SVG headless, one self-contained report.html and the CSV/YAML files next to it.
export type { CampaignData, ReportObjective, ReportParam, ReportTrial } from './types';
export { loadCampaign, reportParams, decodeTrialParams } from './load';
export { historySpec, parallelCoordinatesSpec, intermediateSpec, timelineSpec, edfSpec, importanceSpec, sliceSpec, trialValue, unitPosition, axisTicks } from './plots';
export { bestSoFar, empiricalDistribution, paramImportance } from './analysis';
export { renderSvg } from './render';
export { reportHtml, escapeHtml } from './html';
export { buildReport, writeReport, campaignPlots, renderPlots, reportLeaderboard, leaderboardCsv, trialsCsv, resultsYaml, type Plot, type RenderedPlot } from './build';
