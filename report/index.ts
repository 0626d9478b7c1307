// A campaign's report (issue 14): its trials read from MLflow, plots as Vega-Lite specs rendered to
// SVG headless, one self-contained report.html and the CSV/YAML files next to it.
export type { CampaignData, ReportObjective, ReportParam, ReportRetrain, ReportTrial } from './types';
export { loadCampaign, reportParams, decodeTrialParams, TRAINING_METRICS } from './load';
export { HEALTH_METRICS } from '../spec/objective';
export { historySpec, parallelCoordinatesSpec, intermediateSpec, timelineSpec, edfSpec, importanceSpec, sliceSpec, trialValue, unitPosition, axisTicks, contourSpec, contourPairs, CONTOUR_GRID, paretoSpec, hypervolumeSpec, feasibleComplete, retrainCurvesSpec, retrainLabel } from './plots';
export { bestSoFar, empiricalDistribution, paramImportance, paretoNumbers, hypervolume } from './analysis';
export { renderSvg } from './render';
export { reportHtml, escapeHtml } from './html';
export { buildReport, writeReport, campaignPlots, CONTOUR_MIN_TRIALS, renderPlots, reportLeaderboard, leaderboardCsv, paretoCsv, trialsCsv, resultsYaml, type Plot, type RenderedPlot } from './build';
